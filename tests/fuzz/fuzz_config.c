/* libFuzzer target: the YAML config loader (libyaml -> node tree), getters and the unknown-key
 * walk on arbitrary text; includes are resolved relative to a name that does not exist. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    qa_config *c = NULL;
    if (qa_config_load_string(&c, text, "/nonexistent/fuzz.yaml") == QA_OK) {
        long long i;
        double d;
        const char *s;
        (void)qa_config_int(c, "a.b", 0, &i);
        (void)qa_config_double(c, "a", 0, &d);
        (void)qa_config_str(c, "x.0.y", NULL, &s);
        (void)qa_config_set(c, "a.b.c=[1, 2]");
        (void)qa_config_check_unused(c, NULL);
        qa_config_free(c);
    }
    free(text);
    return 0;
}
