// SIGUSR1, SIGTERM and a first SIGINT ask training to stop: Slurm sends USR1 before the time
// limit (--signal=B:USR1@120, forwarded by the job script) and TERM on scancel or preemption;
// Ctrl-C sends INT (a second one ends the process at once).
// They only set a flag (repeats are harmless); the trainer looks at it between steps, where all
// ranks agree, checkpoint the same step, and exit with kExitCheckpointed.
#pragma once

namespace dptrain {

// Exit status of a run stopped by a signal after saving its checkpoint: "try again" in
// sysexits.h terms (EX_TEMPFAIL). Job scripts say how to resubmit on it.
constexpr int kExitCheckpointed = 75;

// Call before the process starts threads that compute (MPI, OpenMP, the trainer's): the
// signals are blocked in the calling thread and in every thread it starts later, and a thread
// of their own takes them. Signals sent before training starts are kept for it.
void install_stop_signal_handlers();

// The signal that asked to stop, 0 if none.
int stop_signal();

}  // namespace dptrain
