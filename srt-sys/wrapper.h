/* The headers srt-sys generates bindings for. */
#include <srt/srt.h>
#include <srt/access_control.h>
