// onnxq.h from C++: the header compiles with -Wall -Wextra -Wpedantic -Werror and its functions
// link with C linkage (extern "C").
#include <cstdio>
#include <cstring>

#include "onnxq.h"

int main()
{
    onnxq_options o;
    onnxq_options_init(&o);
    onnxq_session *s = nullptr;
    if (onnxq_session_new(&o, &s) != ONNXQ_OK || !s) {
        std::fprintf(stderr, "onnxq_session_new failed\n");
        return 1;
    }
    bool ok = std::strcmp(onnxq_version(), ONNXQ_VERSION_STRING) == 0 && onnxq_op_count() > 0 &&
              onnxq_session_status(s) == ONNXQ_OK && onnxq_session_error(s)[0] == '\0';
    onnxq_session_free(s);
    if (!ok)
        std::fprintf(stderr, "unexpected version, op count or session state\n");
    return ok ? 0 : 1;
}
