#include "dptrain/train/stop_signals.h"

#include <csignal>

namespace dptrain {
namespace {

volatile std::sig_atomic_t requested = 0;

void on_stop_signal(int signal) { requested = signal; }

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // interrupted system calls resume; the flag is read later
  sigaction(SIGUSR1, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // Ctrl-C in an interactive run: the first stops the run as SIGTERM does, a second one
  // (the handler is gone by then) ends it at once.
  action.sa_flags |= SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
}

int stop_signal() { return requested; }

}  // namespace dptrain
