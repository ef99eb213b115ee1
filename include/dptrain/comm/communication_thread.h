// A thread that runs communication tasks one after another, in the order they were posted.
//
// Gradient buckets are handed to it as soon as backward has produced them, so their reduction
// runs while backward is still computing the gradients of earlier layers.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

namespace dptrain {

class CommunicationThread {
 public:
  CommunicationThread();
  ~CommunicationThread();
  CommunicationThread(const CommunicationThread&) = delete;
  CommunicationThread& operator=(const CommunicationThread&) = delete;

  void post(std::function<void()> task);

  // Returns once every posted task has run; rethrows the first error a task threw.
  void wait();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  std::deque<std::function<void()>> tasks_;
  int unfinished_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace dptrain
