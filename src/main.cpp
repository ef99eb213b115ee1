// dptrain: data-parallel training of LibTorch models across MPI ranks.
//
// Every failure ends as one line "dptrain: error: ..." and a non-zero exit on every rank.
#include <torch/version.h>

#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/launcher.h"
#include "dptrain/comm/fail_together.h"
#include "dptrain/gpu/cuda_training.h"
#include "dptrain/model/matrix_product.h"
#include "dptrain/train/heap.h"

int main(int argc, char** argv) {
  CLI::App app{"dptrain: data-parallel training of LibTorch models across MPI ranks"};
  app.require_subcommand(1);
  // What a bug report or a job log needs to know about this build.
  app.set_version_flag("--version", std::string("dptrain ") + DPTRAIN_VERSION + ", LibTorch " +
                                        TORCH_VERSION + ", GPU training (CUDA, NCCL): " +
                                        (dptrain::built_with_cuda() ? "yes" : "no") +
                                        ", CPU matrix products: " +
                                        (dptrain::matrix_products_use_onednn() ? "oneDNN" : "LibTorch's BLAS"));
  const std::map<std::string, dptrain::CommandRunner> commands = {
      {"convert", dptrain::add_convert_command(app)},
      {"train", dptrain::add_train_command(app)},
      {"eval", dptrain::add_eval_command(app)},
      {"show", dptrain::add_show_command(app)},
      {"bench", dptrain::add_bench_command(app)}};
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help
    return dptrain::launcher_rank() == 0 ? app.exit(e) : 0;
  } catch (const CLI::ParseError& e) {
    // CLI11 would say only "A subcommand is required" for a misspelt command.
    const bool unknown_command = app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-';
    dptrain::report_usage_error(
        unknown_command ? "unknown command '" + std::string(argv[1]) +
                              "': the commands are convert, train, eval, show and bench (see --help)"
                        : std::string(e.what()) + " (see --help)");
    return 2;
  }
  dptrain::keep_freed_memory_for_reuse();
  const std::string command = app.get_subcommands().front()->get_name();
  // Started as several processes, each would do the same work and write the same files.
  if (command != "train" && command != "bench" && dptrain::launcher_size() > 1) {
    return dptrain::report_usage_error("dptrain " + command + " runs as one process; start it " +
                                       "without mpirun or srun (or with one task)");
  }
  try {
    return commands.at(command)(argc, argv);
  } catch (const dptrain::ReportedFailure&) {
    return 1;
  } catch (const std::exception& e) {
    return dptrain::report_usage_error(dptrain::error_message(e));
  }
}
