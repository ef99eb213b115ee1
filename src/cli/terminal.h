// Whether the user watches standard output on a terminal (progress bar) or it goes to a file
// or pipe (progress lines).
#pragma once

namespace dptrain {

bool stdout_is_terminal();

}  // namespace dptrain
