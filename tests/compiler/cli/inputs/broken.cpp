// SPDX-License-Identifier: MIT
// Does not parse: the CLI tests expect a clang diagnostic and exit code 1.
int answer() {
  return 42 +;
}
