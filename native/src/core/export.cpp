// The shared library's own translation unit; the C ABI (jrnn.h) is defined across jrnn_core's sources.
#include "jrnn/jrnn.h"
