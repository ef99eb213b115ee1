// Whether the user watches standard output on a terminal (progress bar) or it goes to a file
// or pipe (progress lines).
#pragma once

namespace dptrain {

bool stdout_is_terminal();

// Columns of that terminal (under mpirun: of the one mpirun writes to), else $COLUMNS; 0 when
// neither says.
int terminal_columns();

}  // namespace dptrain
