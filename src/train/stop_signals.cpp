#include "dptrain/train/stop_signals.h"

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

namespace dptrain {
namespace {

// Why no computing thread may take these signals: oneDNN's JIT matrix-product kernels point
// the stack pointer into the heap while they run, and a signal handler run on that thread
// writes its frame there, corrupting the heap (oneDNN issue 4845; a crash in a later free()).
constexpr int kStopSignals[] = {SIGUSR1, SIGTERM, SIGINT};

std::atomic<int> requested{0};
static_assert(std::atomic<int>::is_always_lock_free, "set from a signal handler");

sigset_t stop_signal_set() {
  sigset_t set;
  sigemptyset(&set);
  for (const int signal : kStopSignals) sigaddset(&set, signal);
  return set;
}

// A second SIGINT takes its default action, ending the process at once; the others only ask.
void take(int signal) {
  if (signal == SIGINT && requested == SIGINT) {
    std::signal(SIGINT, SIG_DFL);
    sigset_t interrupt;
    sigemptyset(&interrupt);
    sigaddset(&interrupt, SIGINT);
    pthread_sigmask(SIG_UNBLOCK, &interrupt, nullptr);
    raise(SIGINT);
  }
  requested = signal;
}

// The thread that takes the signals.
void wait_for_stop_signals(sigset_t set) {
  for (;;) {
    int signal = 0;
    if (sigwait(&set, &signal) == 0) take(signal);
  }
}

// For the threads that were running before the signals were blocked (OpenBLAS starts its pool
// when it is loaded): one of them may still be chosen to take a signal. None runs oneDNN.
void on_stop_signal(int signal) { take(signal); }

}  // namespace

void install_stop_signal_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    const sigset_t set = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;  // interrupted system calls resume; the flag is read later
    for (const int signal : kStopSignals) sigaction(signal, &action, nullptr);
    std::thread(wait_for_stop_signals, set).detach();  // ends with the process
  });
}

int stop_signal() { return requested; }

}  // namespace dptrain
