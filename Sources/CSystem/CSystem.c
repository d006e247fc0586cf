// Intentionally empty: SwiftPM needs one source file to make a C target of CSystem.h.
#include "CSystem.h"
