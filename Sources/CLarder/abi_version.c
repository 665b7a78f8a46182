#include "larder.h"

// The version of the ABI that larder.h declares; raise it when a function changes.
int larder_abi_version(void) { return 5; }
