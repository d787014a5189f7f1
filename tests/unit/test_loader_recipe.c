/* Unit tests for data/loader_recipe: recipe `data:` keys -> loader options, and bad values. */
#include <string.h>

#include "core/config.h"
#include "data/loader_recipe.h"
#include "tests/support/test.h"

static qa_status from_text(const char *text, qa_loader_opts *o)
{
    qa_config *c;
    qa_status s = qa_config_load_string(&c, text, "recipe.yaml");
    if (s) return s;
    s = qa_loader_opts_from_recipe(c, "data", o);
    qa_config_free(c);
    return s;
}

static void test_defaults_when_absent(qa_t *t)
{
    qa_loader_opts o;
    CHECK_OK(t, from_text("train:\n  steps: 3\n", &o));
    CHECK(t, o.batch_size == qa_loader_opts_default.batch_size);
    CHECK(t, o.n_buckets == 0 && o.specaug.enabled == 0 && o.shuffle == 1);
}

static void test_shipped_fragment(qa_t *t)
{
    qa_config *c;
    CHECK_OK(t, qa_config_load(&c, "configs/data/default.yaml"));
    qa_loader_opts o;
    CHECK_OK(t, qa_loader_opts_from_recipe(c, "data", &o));
    qa_config_free(c);
    CHECK(t, o.batch_size == 8 && o.seed == 1234 && o.n_buckets == 4);
    CHECK(t, o.bucket_bounds[0] == 128 && o.bucket_bounds[3] == 1024);
    CHECK(t, o.specaug.enabled == 1 && o.specaug.freq_mask == 27 && o.specaug.n_freq == 1);
    CHECK(t, o.specaug.time_mask == 100 && o.specaug.n_time == 1 && o.specaug.time_warp == 0);
}

static void test_specaugment_enabled_means_librispeech_basic(qa_t *t)
{
    qa_loader_opts o;
    CHECK_OK(t, from_text("data:\n  specaugment:\n    enabled: true\n", &o));
    CHECK(t, o.specaug.enabled == 1);
    CHECK(t, o.specaug.freq_mask == qa_specaug_lb.freq_mask && o.specaug.time_mask == qa_specaug_lb.time_mask);
    CHECK_OK(t, from_text("data:\n  specaugment:\n    enabled: true\n    time_warp: 80\n", &o));
    CHECK(t, o.specaug.time_warp == 80);
}

static void test_bad_values(qa_t *t)
{
    qa_loader_opts o;
    CHECK_STATUS(t, from_text("data:\n  batch_size: 0\n", &o), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "recipe.yaml:2") && strstr(qa_error_message(), "data.batch_size"));
    CHECK_STATUS(t, from_text("data:\n  buckets: [256, 128]\n", &o), QA_ERR_CONFIG);
    CHECK(t, strstr(qa_error_message(), "ascending") != NULL);
    CHECK_STATUS(t, from_text("data:\n  buckets: 128\n", &o), QA_ERR_CONFIG);
    CHECK_STATUS(t, from_text("data:\n  buckets: [128, fast]\n", &o), QA_ERR_CONFIG);
    CHECK_STATUS(t, from_text("data:\n  frame_multiple: 3\n", &o), QA_ERR_CONFIG);
    CHECK_STATUS(t, from_text("data:\n  specaugment:\n    time_ratio: 0\n", &o), QA_ERR_CONFIG);
    CHECK_STATUS(t, from_text("data:\n  batchsize: 8\n", &o), QA_ERR_CONFIG); /* misspelt key */
    CHECK(t, strstr(qa_error_message(), "batchsize") != NULL);
    CHECK_STATUS(t, from_text("data:\n  shuffle: maybe\n", &o), QA_ERR_CONFIG);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"defaults_when_absent", test_defaults_when_absent},
        {"shipped_fragment", test_shipped_fragment},
        {"specaugment_enabled_means_librispeech_basic", test_specaugment_enabled_means_librispeech_basic},
        {"bad_values", test_bad_values},
        {0}};
    return qa_test_main(argc, argv, cases);
}
