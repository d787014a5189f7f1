/* Unit tests for core/safetensors: conversions, write/read round trip, byte layout, and every kind
 * of malformed file giving a FORMAT error that names the tensor or the byte offset. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/safetensors.h"
#include "core/tensor.h"
#include "tests/support/test.h"

static void test_bf16_f16_conversions(qa_t *t)
{
    int bad_bf = 0, bad_h = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = qa_f32_from_bf16((uint16_t)h);
        if (f == f && qa_bf16_from_f32(f) != h) bad_bf++;
        float g = qa_f16_to_f32((uint16_t)h);
        if (g == g && qa_f32_to_f16(g) != h) bad_h++;
    }
    CHECK_MSG(t, bad_bf == 0, "%d bf16 values do not round trip", bad_bf);
    CHECK_MSG(t, bad_h == 0, "%d f16 values do not round trip", bad_h);
    CHECK(t, qa_bf16_from_f32(1.0f) == 0x3f80);
    CHECK(t, qa_f16_to_f32(0x3c00) == 1.0f && qa_f16_to_f32(0x0001) == 5.9604644775390625e-8f);
    /* ties to even: 1 + 2^-8 lies halfway between bf16 1.0 and 1.0078125 -> 1.0 */
    CHECK(t, qa_bf16_from_f32(1.00390625f) == 0x3f80);
    CHECK(t, qa_bf16_from_f32(1.01171875f) == 0x3f82); /* halfway between 0x3f81 and 0x3f82 -> even */
    CHECK(t, qa_f32_to_f16(65520.f) == 0x7c00 && qa_f32_to_f16(65504.f) == 0x7bff);
    float nan = qa_f32_from_bf16(0x7fc1);
    CHECK(t, nan != nan && (qa_bf16_from_f32(nan) & 0x7f80) == 0x7f80);
}

static const char *tmp_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", qa_test_tmpdir(), name);
    return buf;
}

static void test_roundtrip_and_layout(qa_t *t)
{
    float a[6] = {1, -2, 3.5f, 1e-3f, 0, 7};
    int64_t b[3] = {5, -6, 1LL << 40};
    float c[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    qa_st_entry e[3] = {
        {.name = "z.small", .dtype = QA_ST_BF16, .ndim = 2, .shape = {2, 2}, .src = c, .src_dtype = QA_ST_F32},
        {.name = "a.ids", .dtype = QA_ST_I64, .ndim = 1, .shape = {3}, .src = b, .src_dtype = QA_ST_I64},
        {.name = "m.w", .dtype = QA_ST_F32, .ndim = 2, .shape = {2, 3}, .src = a, .src_dtype = QA_ST_F32},
    };
    qa_st_meta meta[1] = {{"format", "pt"}};
    qa_st_write_opts o = {.meta = meta, .nmeta = 1};
    char p1[512], p2[512];
    CHECK_OK(t, qa_safetensors_write(tmp_path(p1, sizeof p1, "rt1.safetensors"), e, 3, &o));
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_open(&st, p1));
    if (!st) return;
    CHECK(t, st->n == 3 && st->data_start % 8 == 0);
    CHECK(t, qa_safetensors_file_size(e, 3, &o) == st->size);
    /* order: 8-byte I64 first, then F32, then BF16; by name inside a size */
    CHECK(t, !strcmp(st->t[0].name, "a.ids") && !strcmp(st->t[1].name, "m.w") && !strcmp(st->t[2].name, "z.small"));
    CHECK(t, !strcmp(qa_safetensors_meta(st, "format"), "pt"));
    const qa_st_tensor *w = qa_safetensors_find(st, "m.w");
    float got[6];
    CHECK_OK(t, qa_st_to_f32(got, w, 0, 6));
    CHECK(t, !memcmp(got, a, sizeof a));
    const qa_st_tensor *zs = qa_safetensors_find(st, "z.small");
    CHECK_OK(t, qa_st_to_f32(got, zs, 1, 3));
    for (int i = 0; i < 3; i++) CHECK(t, got[i] == qa_f32_from_bf16(qa_bf16_from_f32(c[i + 1])));
    const qa_st_tensor *ids = qa_safetensors_find(st, "a.ids");
    int64_t iv;
    memcpy(&iv, (const char *)ids->data + 16, 8);
    CHECK(t, iv == (1LL << 40));
    CHECK_STATUS(t, qa_st_to_f32(got, ids, 0, 3), QA_ERR_DTYPE);
    CHECK_STATUS(t, qa_st_to_f32(got, w, 4, 5), QA_ERR_ARG);
    /* header: compact JSON, spaces to a multiple of 8 */
    CHECK(t, !strncmp((const char *)st->bytes + 8, "{\"__metadata__\":{\"format\":\"pt\"},\"a.ids\":{\"dtype\":\"I64\"", 50));
    /* writing from the mapped tensors again gives identical bytes */
    qa_st_entry e2[3];
    for (int i = 0; i < 3; i++) {
        const qa_st_tensor *x = &st->t[i];
        e2[i] = (qa_st_entry){.name = x->name, .dtype = x->dtype, .ndim = x->ndim, .src = x->data, .src_dtype = x->dtype};
        memcpy(e2[i].shape, x->shape, sizeof x->shape);
    }
    CHECK_OK(t, qa_safetensors_write(tmp_path(p2, sizeof p2, "rt2.safetensors"), e2, 3, &o));
    char *d1, *d2;
    size_t l1, l2;
    CHECK_OK(t, qa_file_read_all(p1, &d1, &l1));
    CHECK_OK(t, qa_file_read_all(p2, &d2, &l2));
    CHECK(t, l1 == l2 && !memcmp(d1, d2, l1));
    free(d1);
    free(d2);
    qa_safetensors_close(st);
    /* duplicate names are refused */
    e[1].name = "m.w";
    CHECK_STATUS(t, qa_safetensors_write(p2, e, 3, &o), QA_ERR_ARG);
}

/* Builds a file image from a header string and `data` bytes of payload. */
static char *image(const char *hdr, size_t data, size_t *len)
{
    size_t h = strlen(hdr);
    *len = 8 + h + data;
    char *b = calloc(1, *len);
    for (int i = 0; i < 8; i++) b[i] = (char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, hdr, h);
    return b;
}

static void expect_bad(qa_t *t, const char *hdr, size_t data, const char *needle)
{
    size_t len;
    char *b = image(hdr, data, &len);
    qa_safetensors *st = NULL;
    CHECK_STATUS(t, qa_safetensors_parse(&st, b, len, "bad.safetensors"), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), needle) != NULL, "message '%s' lacks '%s'", qa_error_message(), needle);
    qa_safetensors_close(st);
    free(b);
}

static void test_malformed(qa_t *t)
{
    const char *ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                     "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    size_t len;
    char *b = image(ok, 12, &len);
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_parse(&st, b, len, "ok"));
    qa_safetensors_close(st);
    /* truncated: the file ends before tensor b's data */
    CHECK_STATUS(t, qa_safetensors_parse(&st, b, len - 2, "cut.safetensors"), QA_ERR_FORMAT);
    CHECK_MSG(t, strstr(qa_error_message(), "tensor b") && strstr(qa_error_message(), "truncated"), "%s", qa_error_message());
    /* header length beyond the file */
    CHECK_STATUS(t, qa_safetensors_parse(&st, b, 40, "short"), QA_ERR_FORMAT);
    CHECK(t, strstr(qa_error_message(), "byte 0") != NULL);
    CHECK_STATUS(t, qa_safetensors_parse(&st, b, 5, "tiny"), QA_ERR_FORMAT);
    free(b);
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}, oops}", 8, "near byte");
    expect_bad(t, "[1,2]   ", 0, "byte 8");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "tensor a");      /* size vs shape */
    expect_bad(t, "{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unsupported dtype");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"     /* overlap */
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "tensor b starts at byte");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensor a starts at byte"); /* gap */
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "trailing bytes");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape[0]");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets");
    expect_bad(t, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "appears twice");
    expect_bad(t, "{\"__metadata__\":{\"format\":1}}", 0, "__metadata__");
    /* an empty file of tensors is valid */
    b = image("{}      ", 0, &len);
    CHECK_OK(t, qa_safetensors_parse(&st, b, len, "empty"));
    CHECK(t, st && st->n == 0);
    qa_safetensors_close(st);
    free(b);
    CHECK_STATUS(t, qa_safetensors_open(&st, "/nonexistent/x.safetensors"), QA_ERR_IO);
}

static void test_golden_file(qa_t *t)
{
    char path[1024];
    if (!qa_test_shared_path(path, sizeof path, "golden/model/tiny/checkpoint/model.safetensors")) {
        SKIP(t, "golden/model/tiny not found (set QAUDIO_SHARED)");
        return;
    }
    qa_safetensors *st = NULL;
    CHECK_OK(t, qa_safetensors_open(&st, path));
    if (!st) return;
    CHECK(t, st->n == 59 && st->data_start == 8 + 5912);
    const qa_st_tensor *w = qa_safetensors_find(st, "transformer.wte.weight");
    CHECK(t, w && w->dtype == QA_ST_BF16 && w->ndim == 2 && w->shape[0] == 155947 && w->shape[1] == 32);
    if (w) {
        /* bf16 upcast is exact: f32 bits are the bf16 bits shifted by 16 */
        float row[32];
        CHECK_OK(t, qa_st_to_f32(row, w, 151851LL * 32, 32));
        int exact = 1;
        for (int i = 0; i < 32; i++) {
            uint16_t h;
            uint32_t u;
            memcpy(&h, (const char *)w->data + (151851LL * 32 + i) * 2, 2);
            memcpy(&u, &row[i], 4);
            exact &= u == (uint32_t)h << 16;
        }
        CHECK(t, exact);
    }
    CHECK(t, !strcmp(qa_safetensors_meta(st, "format"), "pt"));
    /* the same file rewritten by our writer from the mapping has identical bytes */
    qa_st_entry *e = calloc((size_t)st->n, sizeof *e);
    for (int i = 0; i < st->n; i++) {
        const qa_st_tensor *x = &st->t[i];
        e[i] = (qa_st_entry){.name = x->name, .dtype = x->dtype, .ndim = x->ndim, .src = x->data, .src_dtype = x->dtype};
        memcpy(e[i].shape, x->shape, sizeof x->shape);
    }
    char out[512];
    CHECK_OK(t, qa_safetensors_write(tmp_path(out, sizeof out, "golden_copy.safetensors"), e, st->n, NULL));
    free(e);
    char *d;
    size_t l;
    CHECK_OK(t, qa_file_read_all(out, &d, &l));
    CHECK_MSG(t, l == st->size && !memcmp(d, st->bytes, l), "rewritten golden differs (%zu vs %zu bytes)", l, st->size);
    free(d);
    qa_safetensors_close(st);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"bf16_f16_conversions", test_bf16_f16_conversions},
        {"roundtrip_and_layout", test_roundtrip_and_layout},
        {"malformed", test_malformed},
        {"golden_file", test_golden_file},
        {0},
    };
    return qa_test_main(argc, argv, cases);
}
