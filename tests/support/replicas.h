// Checks across the ranks of an MPI test.
#pragma once

#include <mpi.h>
#include <torch/torch.h>

#include <memory>

#include "dptrain/train/trainer.h"
#include "synthetic.h"

namespace dptrain::testing {

// Whether every rank holds exactly the same float values in `flat` (on the CPU): the
// element-wise minimum and maximum over the ranks agree with each other and with this rank.
inline bool identical_on_all_ranks(const torch::Tensor& flat) {
  const torch::Tensor mine = flat.contiguous();
  torch::Tensor lowest = mine.clone(), highest = mine.clone();
  const int count = static_cast<int>(mine.numel());
  MPI_Allreduce(MPI_IN_PLACE, lowest.data_ptr<float>(), count, MPI_FLOAT, MPI_MIN, MPI_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, highest.data_ptr<float>(), count, MPI_FLOAT, MPI_MAX, MPI_COMM_WORLD);
  return torch::equal(lowest, highest) && torch::equal(mine, lowest);
}

// A finished run with everything that could make replicas drift apart: uneven shards,
// shuffling, a warm-up ramp of a linearly scaled learning rate, several epochs.
struct ReplicaRun {
  Shard train;
  Shard test;
  std::unique_ptr<Trainer> trainer;  // reads the shards above
};

inline std::unique_ptr<ReplicaRun> train_replicas(TrainConfig config, Communicator& comm) {
  const std::int64_t samples = 101;  // uneven shards for every rank count tested
  config.shuffle = true;
  config.lr_scaling = LrScaling::linear;
  config.warmup_epochs = 1.0;
  config.epochs = 3;
  auto run = std::make_unique<ReplicaRun>();
  run->train = synthetic_shard(shard_range(samples, comm.rank(), comm.size()));
  run->test = synthetic_shard(shard_range(20, comm.rank(), comm.size()));
  run->trainer = std::make_unique<Trainer>(config, comm, run->train, samples, run->test);
  run->trainer->run(nullptr);
  return run;
}

}  // namespace dptrain::testing
