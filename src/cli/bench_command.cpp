// `dptrain bench allreduce`: allreduce time and bandwidth from 4 B to 64 MB, each result
// checked, reported like nccl-tests (algbw, busbw = algbw * 2(n-1)/n).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "dptrain/comm/allreduce_bench.h"
#include "dptrain/comm/mpi_communicator.h"
#include "dptrain/config/config.h"
#include "dptrain/data/atomic_file.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

struct BenchOptions {
  AllreduceBenchOptions allreduce;
  std::string grad_dtype = "fp32";
  bool mpi_buffers = false;
  std::string json;
};

void print_table(const std::vector<AllreduceSample>& samples, const MpiCommunicator& comm,
                 bool shared, TransportPrecision precision) {
  std::printf("# dptrain bench allreduce: %d ranks, %d per node, %s, %s between processes\n",
              comm.size(), comm.local_size(),
              shared && comm.uses_shared_memory() ? "node-shared memory + MPI between nodes"
                                                  : "MPI_Allreduce",
              to_string(precision).c_str());
  std::printf("# %12s %11s %7s %11s %12s %12s %6s\n", "bytes", "floats", "iters", "time(us)",
              "algbw(GB/s)", "busbw(GB/s)", "wrong");
  for (const auto& s : samples) {
    std::printf("  %12zu %11zu %7d %11.2f %12.3f %12.3f %6zu\n", s.bytes, s.bytes / 4,
                s.iterations, s.seconds * 1e6, s.algbw_gbs, s.busbw_gbs, s.wrong);
  }
  std::fflush(stdout);
}

void write_json(const std::vector<AllreduceSample>& samples, const MpiCommunicator& comm,
                TransportPrecision precision, const std::string& path) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& s : samples) {
    rows.push_back({{"bytes", s.bytes}, {"iterations", s.iterations}, {"seconds", s.seconds},
                    {"algbw_gbs", s.algbw_gbs}, {"busbw_gbs", s.busbw_gbs}, {"wrong", s.wrong}});
  }
  const nlohmann::json doc = {{"ranks", comm.size()}, {"ranks_per_node", comm.local_size()},
                              {"shared_memory", comm.uses_shared_memory()},
                              {"grad_dtype", to_string(precision)}, {"sizes", rows}};
  write_text_atomically(path, doc.dump(1) + "\n");
}

// Beyond 1 GiB a message is a typo rather than a gradient (and every rank of a node would need
// that much shared memory at once).
constexpr std::size_t kMaxMessageBytes = std::size_t{1} << 30;

void validate(const AllreduceBenchOptions& o) {
  // Messages are whole floats: a size between two would be measured as the one below it.
  if (o.max_bytes < 4 || o.max_bytes > kMaxMessageBytes || o.max_bytes % 4 != 0) {
    throw Error("--max-bytes must be from 4 to 1G and a multiple of 4, as messages are whole floats (got " +
                std::to_string(o.max_bytes) + ")");
  }
  if (o.min_bytes < 4 || o.min_bytes > o.max_bytes || o.min_bytes % 4 != 0) {
    throw Error("--min-bytes must be from 4 to --max-bytes and a multiple of 4, as messages are whole floats (got " +
                std::to_string(o.min_bytes) + ")");
  }
  if (!(o.seconds_per_size > 0 && o.seconds_per_size <= 60)) {
    std::ostringstream got;
    got << o.seconds_per_size;
    throw Error("--seconds-per-size must be more than 0 and at most 60 (got " + got.str() + ")");
  }
}

int run_bench(BenchOptions& o, int argc, char** argv) {
  validate(o.allreduce);
  if (!o.json.empty()) check_writable(o.json, "--json file");
  MpiSession mpi(&argc, &argv);
  MpiCommunicator comm;
  o.allreduce.shared_buffer = !o.mpi_buffers;
  o.allreduce.precision = parse_transport_precision(o.grad_dtype);
  const std::vector<AllreduceSample> samples = bench_allreduce(comm, o.allreduce);
  std::size_t wrong = 0;
  for (const auto& s : samples) wrong += s.wrong;
  if (comm.rank() == 0) {
    print_table(samples, comm, o.allreduce.shared_buffer, o.allreduce.precision);
    if (!o.json.empty()) write_json(samples, comm, o.allreduce.precision, o.json);
    if (wrong) std::cerr << "dptrain: error: allreduce gave " << wrong << " wrong elements\n";
  }
  return wrong ? 1 : 0;
}

}  // namespace

CommandRunner add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Measure dptrain's building blocks");
  bench->require_subcommand(1);
  CLI::App* allreduce = bench->add_subcommand(
      "allreduce", "Allreduce time, algbw and busbw (= algbw * 2(n-1)/n) for doubling sizes; "
                   "every result is checked. Run under mpirun/srun.");
  allreduce->add_option("--min-bytes", o->allreduce.min_bytes, "Smallest message (e.g. 4, 1K)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  allreduce->add_option("--max-bytes", o->allreduce.max_bytes, "Largest message (e.g. 64M)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  allreduce->add_option("--seconds-per-size", o->allreduce.seconds_per_size,
                        "Time spent measuring each size")
      ->capture_default_str();
  allreduce->add_flag("--mpi-buffers", o->mpi_buffers,
                      "Reduce ordinary memory with MPI_Allreduce instead of the node-shared "
                      "buffers training uses");
  allreduce->add_option("--grad-dtype", o->grad_dtype,
                        "Precision the values travel in between processes, as in training: fp32, "
                        "bf16 or fp16")
      ->check(CLI::IsMember(kGradDtypes))
      ->capture_default_str();
  allreduce->add_option("--json", o->json, "Also write the table to this JSON file")->check(file_name_given());
  return [o](int argc, char** argv) { return run_bench(*o, argc, argv); };
}

}  // namespace dptrain
