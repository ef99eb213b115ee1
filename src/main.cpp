// dptrain: data-parallel training of LibTorch models across MPI ranks.
//
// Every failure ends as one line "dptrain: error: ..." and a non-zero exit on every rank.
#include <torch/version.h>

#include <iostream>
#include <map>

#include "cli/commands.h"
#include "cli/errors.h"
#include "cli/launcher.h"
#include "dptrain/comm/fail_together.h"
#include "dptrain/gpu/cuda_training.h"
#include "dptrain/train/heap.h"

int main(int argc, char** argv) {
  CLI::App app{"dptrain: data-parallel training of LibTorch models across MPI ranks"};
  app.require_subcommand(1);
  // What a bug report or a job log needs to know about this build.
  app.set_version_flag("--version", std::string("dptrain ") + DPTRAIN_VERSION + ", LibTorch " +
                                        TORCH_VERSION + ", GPU training (CUDA, NCCL): " +
                                        (dptrain::built_with_cuda() ? "yes" : "no"));
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
    dptrain::report_usage_error(std::string(e.what()) + " (see --help)");
    return 2;
  }
  dptrain::keep_freed_memory_for_reuse();
  try {
    return commands.at(app.get_subcommands().front()->get_name())(argc, argv);
  } catch (const dptrain::ReportedFailure&) {
    return 1;
  } catch (const std::exception& e) {
    return dptrain::report_usage_error(e.what());
  }
}
