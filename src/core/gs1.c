/* placeholder: replaced by the GS1 parser */
#include "gs1.h"
