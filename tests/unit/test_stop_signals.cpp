#include "dptrain/train/stop_signals.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <torch/torch.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

#include "dptrain/model/matrix_product.h"

namespace dptrain {
namespace {

bool blocked_in_this_thread(int signal) {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return sigismember(&mask, signal) == 1;
}

// Waits up to 10 s for a signal to be taken as a stop request: a failing case ends, never hangs.
int wait_for_stop_request() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (stop_signal() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return stop_signal();
}

// Each case runs in a child process (EXPECT_EXIT), as the handlers and masks are the process's.

TEST(StopSignals, TheTrainingThreadAndThreadsItStartsNeverRunTheHandler) {
  EXPECT_EXIT(
      {
        install_stop_signal_handlers();
        bool started_blocked = false;
        std::thread([&] { started_blocked = blocked_in_this_thread(SIGTERM); }).join();
        std::exit(blocked_in_this_thread(SIGUSR1) && blocked_in_this_thread(SIGTERM) &&
                          blocked_in_this_thread(SIGINT) && started_blocked
                      ? 0
                      : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(StopSignals, ASignalToTheProcessIsSeenAsAStopRequest) {
  EXPECT_EXIT(
      {
        install_stop_signal_handlers();
        kill(getpid(), SIGTERM);
        std::exit(wait_for_stop_request() == SIGTERM ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// A second Ctrl-C ends the run at once, as it ends most programs.
TEST(StopSignals, ASecondInterruptEndsTheProcess) {
  EXPECT_EXIT(
      {
        install_stop_signal_handlers();
        kill(getpid(), SIGINT);
        if (wait_for_stop_request() != SIGINT) std::exit(1);
        kill(getpid(), SIGINT);
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::exit(0);
      },
      ::testing::KilledBySignal(SIGINT), "");
}

// oneDNN's JIT matrix-product kernels point the stack pointer into the heap while they run: a
// signal handler run on that thread writes its frame there and corrupts the heap (oneDNN issue
// 4845). Signals sent without pause while the training thread multiplies the model's matrices
// must leave the heap, and the products, intact.
TEST(StopSignals, SignalsDuringMatrixProductsLeaveTheHeapIntact) {
  EXPECT_EXIT(
      {
        torch::manual_seed(0);
        install_stop_signal_handlers();
        const torch::Tensor gradient = torch::randn({16, 512});
        const torch::Tensor weight = torch::randn({512, 784});
        const torch::Tensor expected = gradient.mm(weight);
        std::atomic<bool> done{false};
        std::thread sender([&] {
          while (!done) kill(getpid(), SIGUSR1);
        });
        bool equal = true;
        const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (std::chrono::steady_clock::now() < end) {
          equal = equal && torch::allclose(matrix_product(gradient, weight), expected, 1e-4, 1e-4);
          equal = equal && matrix_product(gradient.t().contiguous().t(), weight).size(1) == 784;
        }
        done = true;
        sender.join();
        std::exit(equal && stop_signal() == SIGUSR1 ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace dptrain
