/* Unit tests for eval/datasets (part 1): the CSV/TSV reader, the registry and run (atomic
 * output, counts, empty result), and the speech adapters LibriSpeech, AISHELL-1, AISHELL-2,
 * CoVoST 2 and the qwen-jsonl pass-through. Fixtures are generated in a temporary folder in
 * each official layout; audio files are empty placeholders (see eval_datasets_fixture.h). */
#include "tests/unit/eval_datasets_fixture.h"

#include "eval/datasets/ed_util.h"

static void test_csv_quoting(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "csv");
    fx_put(root, "a.csv", "\xEF\xBB\xBF" "name,text\r\nx,\"a, \"\"b\"\"\nc\"\r\n\r\ny,plain\n\"z\",\n");
    char path[1024];
    snprintf(path, sizeof path, "%s/a.csv", root);
    qa_ed_csv c;
    int got;
    CHECK_OK(t, qa_ed_csv_open(&c, path, ',', 1));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, got && c.nf == 2 && qa_ed_csv_col(&c, "name") == 0 && qa_ed_csv_col(&c, "text") == 1);
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, got && c.nf == 2 && !strcmp(c.fields[0], "x") && !strcmp(c.fields[1], "a, \"b\"\nc") && c.row_line == 2);
    CHECK_OK(t, qa_ed_csv_next(&c, &got)); /* blank line skipped */
    CHECK(t, got && c.nf == 2 && !strcmp(c.fields[1], "plain") && c.row_line == 5);
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, got && c.nf == 2 && !strcmp(c.fields[0], "z") && !strcmp(c.fields[1], ""));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, !got);
    qa_ed_csv_close(&c);

    /* unquoted tsv keeps quotes as text */
    fx_put(root, "b.tsv", "p\tq\n\"x\tsay \"hi\"\n");
    snprintf(path, sizeof path, "%s/b.tsv", root);
    CHECK_OK(t, qa_ed_csv_open(&c, path, '\t', 0));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, got && c.nf == 2 && !strcmp(c.fields[0], "\"x") && !strcmp(c.fields[1], "say \"hi\""));
    qa_ed_csv_close(&c);

    /* escape mode (pandas escapechar): backslash makes the next character literal */
    fx_put(root, "c.tsv", "p\tq\na\\\tb\tx \\\\ \\\"y\\\"\n");
    snprintf(path, sizeof path, "%s/c.tsv", root);
    CHECK_OK(t, qa_ed_csv_open(&c, path, '\t', 0));
    c.escape = '\\';
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK(t, got && c.nf == 2 && !strcmp(c.fields[0], "a\tb") && !strcmp(c.fields[1], "x \\ \"y\""));
    qa_ed_csv_close(&c);

    /* malformed: unterminated quote, text after closing quote (line numbers in the message) */
    fx_put(root, "bad1.csv", "a,b\n1,2\n3,\"open\nstill open\n");
    snprintf(path, sizeof path, "%s/bad1.csv", root);
    CHECK_OK(t, qa_ed_csv_open(&c, path, ',', 1));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK_STATUS(t, qa_ed_csv_next(&c, &got), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "bad1.csv:");
    CHECK_MSG_HAS(t, "opened on line 3");
    qa_ed_csv_close(&c);
    fx_put(root, "bad2.csv", "a,b\n\"x\"y,2\n");
    snprintf(path, sizeof path, "%s/bad2.csv", root);
    CHECK_OK(t, qa_ed_csv_open(&c, path, ',', 1));
    CHECK_OK(t, qa_ed_csv_next(&c, &got));
    CHECK_STATUS(t, qa_ed_csv_next(&c, &got), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "bad2.csv:2");
    qa_ed_csv_close(&c);
}

static void test_natural_order_and_map(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "ls");
    fx_put(root, "d/10/x", "");
    fx_put(root, "d/2/x", "");
    fx_put(root, "d/a2.wav", "");
    fx_put(root, "d/a10.WAV", "");
    fx_put(root, "d/a1.txt", "");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/d", root);
    char **names;
    int n;
    CHECK_OK(t, qa_ed_list_dir(dir, 1, NULL, &names, &n));
    CHECK(t, n == 2 && !strcmp(names[0], "2") && !strcmp(names[1], "10"));
    qa_ed_names_free(names, n);
    CHECK_OK(t, qa_ed_list_dir(dir, 0, ".wav", &names, &n));
    CHECK(t, n == 2 && !strcmp(names[0], "a2.wav") && !strcmp(names[1], "a10.WAV"));
    qa_ed_names_free(names, n);
    qa_ed_map m = {0};
    CHECK_OK(t, qa_ed_map_put(&m, "b", "1"));
    CHECK_OK(t, qa_ed_map_put(&m, "a", "2"));
    CHECK_OK(t, qa_ed_map_put(&m, "b", "3"));
    CHECK(t, !strcmp(qa_ed_map_get(&m, "b"), "1") && !strcmp(qa_ed_map_get(&m, "a"), "2") && !qa_ed_map_get(&m, "c"));
    qa_ed_map_free(&m);
}

static void make_librispeech(const char *root)
{
    fx_put(root, "LibriSpeech/test-clean/1089/134686/1089-134686.trans.txt",
           "1089-134686-0000 HE HOPED THERE WOULD BE STEW FOR DINNER\n1089-134686-0001 STUFF IT INTO YOU\n");
    fx_put(root, "LibriSpeech/test-clean/1089/134686/1089-134686-0000.flac", "");
    fx_put(root, "LibriSpeech/test-clean/1089/134686/1089-134686-0001.flac", "");
    fx_put(root, "LibriSpeech/test-clean/121/121726/121-121726.trans.txt", "121-121726-0000 ALSO A POPULAR CONTRIVANCE\n");
    fx_put(root, "LibriSpeech/test-clean/121/121726/121-121726-0000.flac", "");
    fx_put(root, "LibriSpeech/test-other/1688/142285/1688-142285.trans.txt", "1688-142285-0000 THERE'S IRON THEY SAY\n");
    fx_put(root, "LibriSpeech/test-other/1688/142285/1688-142285-0000.flac", "");
}

static void test_librispeech(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "librispeech");
    make_librispeech(root);
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root, .split = "test-clean,test-other"};
    FX_CHECK_OUTPUT(t, "librispeech", &o, root, &st,
        "{\"audio\":\"@/LibriSpeech/test-clean/121/121726/121-121726-0000.flac\",\"gt\":\"ALSO A POPULAR CONTRIVANCE\",\"source\":\"librispeech_test_clean\"}\n"
        "{\"audio\":\"@/LibriSpeech/test-clean/1089/134686/1089-134686-0000.flac\",\"gt\":\"HE HOPED THERE WOULD BE STEW FOR DINNER\",\"source\":\"librispeech_test_clean\"}\n"
        "{\"audio\":\"@/LibriSpeech/test-clean/1089/134686/1089-134686-0001.flac\",\"gt\":\"STUFF IT INTO YOU\",\"source\":\"librispeech_test_clean\"}\n"
        "{\"audio\":\"@/LibriSpeech/test-other/1688/142285/1688-142285-0000.flac\",\"gt\":\"THERE'S IRON THEY SAY\",\"source\":\"librispeech_test_other\"}\n");
    CHECK(t, st.lines == 4 && st.nsources == 2 && st.skipped == 0);

    /* a missing flac: error naming the trans.txt line; with skip_missing: dropped and counted */
    char ls[1024];
    snprintf(ls, sizeof ls, "%s/LibriSpeech", root);
    char flac[1024];
    snprintf(flac, sizeof flac, "%s/test-clean/1089/134686/1089-134686-0001.flac", ls);
    unlink(flac);
    o = (qa_evaldata_opts){.root = ls, .split = "test-clean"};
    CHECK_STATUS(t, fx_run("librispeech", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "1089-134686.trans.txt:2");
    CHECK(t, !fx_exists(root, "out.jsonl")); /* nothing written on failure */
    o.skip_missing = 1;
    CHECK_OK(t, fx_run("librispeech", &o, root, &text, &st));
    CHECK(t, st.lines == 2 && st.skipped == 1);
    free(text);

    /* malformed transcript line, missing split, missing transcript */
    fx_put(root, "LibriSpeech/test-clean/121/121726/121-121726.trans.txt", "121-121726-0000 OK\n999-1-0000 WRONG\n");
    o.skip_missing = 0;
    CHECK_STATUS(t, fx_run("librispeech", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "121-121726.trans.txt:2");
    o.split = "dev-clean";
    CHECK_STATUS(t, fx_run("librispeech", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "dev-clean");
    char tr[1024];
    snprintf(tr, sizeof tr, "%s/test-other/1688/142285/1688-142285.trans.txt", ls);
    unlink(tr);
    o.split = "test-other";
    CHECK_STATUS(t, fx_run("librispeech", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "1688-142285.trans.txt");
    /* an empty split folder produces no line: an error, not an empty file */
    fx_put(root, "LibriSpeech/dev-other/.keep", "");
    o.split = "dev-other";
    CHECK_STATUS(t, fx_run("librispeech", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "produced no line");
}

static void test_aishell1(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "aishell1");
    fx_put(root, "data_aishell/transcript/aishell_transcript_v0.8.txt",
           "BAC009S0764W0121 甚至 出现 交易 几乎 停滞 的 情况\nBAC009S0764W0122 一二线 城市 虽然 也 处于 调整 中\n"
           "BAC009S0002W0122 而 对 楼市 成交 抑制 作用 最 大 的 限 购\n");
    fx_put(root, "data_aishell/wav/test/S0764/BAC009S0764W0121.wav", "");
    fx_put(root, "data_aishell/wav/test/S0764/BAC009S0764W0122.wav", "");
    fx_put(root, "data_aishell/wav/test/S0764/BAC009S0764W0999.wav", ""); /* no transcript: skipped */
    fx_put(root, "data_aishell/wav/train/S0002/BAC009S0002W0122.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root, .split = "test"}; /* root above data_aishell/ also works */
    FX_CHECK_OUTPUT(t, "aishell1", &o, root, &st,
        "{\"audio\":\"@/data_aishell/wav/test/S0764/BAC009S0764W0121.wav\",\"gt\":\"甚至出现交易几乎停滞的情况\",\"source\":\"aishell1_test\"}\n"
        "{\"audio\":\"@/data_aishell/wav/test/S0764/BAC009S0764W0122.wav\",\"gt\":\"一二线城市虽然也处于调整中\",\"source\":\"aishell1_test\"}\n");
    o.split = "dev";
    CHECK_STATUS(t, fx_run("aishell1", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "wav/dev");
    fx_put(root, "data_aishell/transcript/aishell_transcript_v0.8.txt", "BAC009S0764W0121 ok\nBAC009S0764W0122\n");
    o.split = "test";
    CHECK_STATUS(t, fx_run("aishell1", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "aishell_transcript_v0.8.txt:2");
}

static void make_aishell2_device(const char *root, const char *dev, const char *id, const char *text)
{
    char rel[256], line[512];
    snprintf(rel, sizeof rel, "%s/test/wav.scp", dev);
    snprintf(line, sizeof line, "%s\twav/T0055G0013/%s.wav\n", id, id);
    fx_put(root, rel, line);
    snprintf(rel, sizeof rel, "%s/test/trans.txt", dev);
    snprintf(line, sizeof line, "%s\t%s\n", id, text);
    fx_put(root, rel, line);
    snprintf(rel, sizeof rel, "%s/test/wav/T0055G0013/%s.wav", dev, id);
    fx_put(root, rel, "");
}

static void test_aishell2(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "aishell2");
    make_aishell2_device(root, "Android", "AT0055G0013S0001", "这是 安卓");
    make_aishell2_device(root, "IOS", "IT0055G0013S0001", "苹果手机");
    make_aishell2_device(root, "Mic", "MT0055G0013S0001", "麦克风");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "aishell2", &o, root, &st, /* default split: test, three devices */
        "{\"audio\":\"@/Android/test/wav/T0055G0013/AT0055G0013S0001.wav\",\"gt\":\"这是安卓\",\"source\":\"aishell2_test_android\"}\n"
        "{\"audio\":\"@/IOS/test/wav/T0055G0013/IT0055G0013S0001.wav\",\"gt\":\"苹果手机\",\"source\":\"aishell2_test_ios\"}\n"
        "{\"audio\":\"@/Mic/test/wav/T0055G0013/MT0055G0013S0001.wav\",\"gt\":\"麦克风\",\"source\":\"aishell2_test_mic\"}\n");
    CHECK(t, st.nsources == 3);
    o.split = "test-ios";
    CHECK_OK(t, fx_run("aishell2", &o, root, &text, &st));
    CHECK(t, st.lines == 1 && text && strstr(text, "aishell2_test_ios"));
    free(text);
    o.split = "test-tablet";
    CHECK_STATUS(t, fx_run("aishell2", &o, root, &text, &st), QA_ERR_ARG);
    /* wav.scp id without transcript */
    fx_put(root, "Mic/test/wav.scp", "MT0055G0013S0001 wav/T0055G0013/MT0055G0013S0001.wav\nMT9 wav/x.wav\n");
    o.split = "test-mic";
    CHECK_STATUS(t, fx_run("aishell2", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "wav.scp:2");
    /* a device folder missing */
    fx_put(root, "Mic/test/wav.scp", "");
    char mic[1200];
    snprintf(mic, sizeof mic, "mv '%s/Mic' '%s/Mic.away'", root, root);
    CHECK(t, system(mic) == 0);
    o.split = "test";
    CHECK_STATUS(t, fx_run("aishell2", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "Mic");
}

static void test_covost2(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "covost2");
    fx_put(root, "covost_v2.en_zh-CN.tsv",
           "path\ttranslation\tsplit\n"
           "common_voice_en_699711.mp3\t她会没事的。\ttest\n"
           "common_voice_en_1.mp3\t训练\ttrain\n"
           "common_voice_en_17561821.mp3\tMozilla 打算如何处理\"queue\"和\"cue\"呢？\ttest\n"
           "common_voice_en_2.mp3\t训练二\ttrain_covost\n"
           "common_voice_en_3.mp3\t他说\\\"好\\\" \\\\ \\\t完\ttest\n");
    fx_put(root, "en/clips/common_voice_en_3.mp3", "");
    fx_put(root, "en/clips/common_voice_en_699711.mp3", "");
    fx_put(root, "en/clips/common_voice_en_17561821.mp3", "");
    fx_put(root, "covost_v2.de_en.test.tsv", "client_id\tpath\tsentence\ttranslation\nc1\tcommon_voice_de_1.mp3\tHallo\tHello\n");
    fx_put(root, "clips/common_voice_de_1.mp3", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root}; /* the paper's seven directions; the absent ones are skipped */
    FX_CHECK_OUTPUT(t, "covost2", &o, root, &st,
        "{\"audio\":\"@/clips/common_voice_de_1.mp3\",\"gt\":\"Hello\",\"source\":\"covost_v2_de_en_test\"}\n"
        "{\"audio\":\"@/en/clips/common_voice_en_699711.mp3\",\"gt\":\"她会没事的。\",\"source\":\"covost_v2_en_zh_test\"}\n"
        "{\"audio\":\"@/en/clips/common_voice_en_17561821.mp3\",\"gt\":\"Mozilla 打算如何处理\\\"queue\\\"和\\\"cue\\\"呢？\",\"source\":\"covost_v2_en_zh_test\"}\n"
        "{\"audio\":\"@/en/clips/common_voice_en_3.mp3\",\"gt\":\"他说\\\"好\\\" \\\\ \\t完\",\"source\":\"covost_v2_en_zh_test\"}\n");
    o.direction = "en-zh";
    CHECK_OK(t, fx_run("covost2", &o, root, &text, &st));
    CHECK(t, st.lines == 3 && st.nsources == 1);
    free(text);
    o.split = "train"; /* train includes the train_covost rows */
    fx_put(root, "en/clips/common_voice_en_1.mp3", "");
    fx_put(root, "en/clips/common_voice_en_2.mp3", "");
    CHECK_OK(t, fx_run("covost2", &o, root, &text, &st));
    CHECK(t, st.lines == 2 && text && strstr(text, "covost_v2_en_zh_train") && strstr(text, "训练二"));
    free(text);
    o.split = NULL;
    o.direction = "fr-en"; /* asked for explicitly: must exist */
    CHECK_STATUS(t, fx_run("covost2", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "covost_v2.fr_en.tsv");
    o.direction = "en_zh";
    CHECK_STATUS(t, fx_run("covost2", &o, root, &text, &st), QA_ERR_ARG);
    fx_put(root, "covost_v2.en_de.tsv", "path\ttranslation\tsplit\na.mp3\tx\n");
    o.direction = "en-de";
    CHECK_STATUS(t, fx_run("covost2", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "covost_v2.en_de.tsv:2");
    fx_put(root, "covost_v2.en_de.tsv", "path\ttext\tsplit\n");
    CHECK_STATUS(t, fx_run("covost2", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "translation");
}

static void test_qwen_jsonl(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "qwenjsonl");
    fx_put(root, "data/a.wav", "");
    fx_put(root, "data/b.wav", "");
    fx_put(root, "data/in.jsonl",
           "{\"audio\": \"a.wav\", \"gt\": \"yes\", \"source\": \"clothoaqa_test\", \"question\": \"Is it wet?\", \"x\": 1}\n"
           "\n"
           "{\"audio\": \"b.wav\", \"gt\": [\"one\", \"two\"], \"source\": \"clotho_evaluation\"}\n");
    char in[1024];
    snprintf(in, sizeof in, "%s/data/in.jsonl", root);
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = in};
    FX_CHECK_OUTPUT(t, "qwen-jsonl", &o, root, &st,
        "{\"audio\":\"@/data/a.wav\",\"gt\":\"yes\",\"source\":\"clothoaqa_test\",\"question\":\"Is it wet?\"}\n"
        "{\"audio\":\"@/data/b.wav\",\"gt\":[\"one\",\"two\"],\"source\":\"clotho_evaluation\"}\n");
    CHECK(t, st.nsources == 2);
    static const char *const bad[] = {
        "{\"audio\": \"a.wav\", \"gt\": \"x\"}\n",                                 /* no source */
        "{\"audio\": \"a.wav\", \"gt\": 3, \"source\": \"s\"}\n",                  /* gt not text */
        "{\"audio\": \"a.wav\", \"gt\": \"x\", \"source\": \"s\"\n",               /* broken json */
        "[1, 2]\n",                                                                  /* not an object */
        "{\"audio\": \"a.wav\", \"gt\": \"x\", \"source\": \"s\", \"question\": 1}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char content[512];
        snprintf(content, sizeof content, "{\"audio\": \"a.wav\", \"gt\": \"ok\", \"source\": \"s\"}\n%s", bad[i]);
        fx_put(root, "data/in.jsonl", content);
        CHECK_STATUS(t, fx_run("qwen-jsonl", &o, root, &text, &st), QA_ERR_FORMAT);
        CHECK_MSG_HAS(t, "in.jsonl:2");
    }
    o.split = "test";
    CHECK_STATUS(t, fx_run("qwen-jsonl", &o, root, &text, &st), QA_ERR_ARG);
    o.split = NULL;
    fx_put(root, "data/in.jsonl", "{\"audio\": \"missing.wav\", \"gt\": \"ok\", \"source\": \"s\"}\n");
    CHECK_STATUS(t, fx_run("qwen-jsonl", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "missing.wav");
}

static void test_registry(qa_t *t)
{
    int n = 0;
    for (const qa_evaldata_adapter *a = qa_evaldata_adapters(); a->name; a++) n++;
    CHECK(t, n == 12);
    CHECK(t, qa_evaldata_find("nsynth") && !qa_evaldata_find("nope"));
    char *text;
    qa_evaldata_opts o = {.root = "/"};
    CHECK_STATUS(t, fx_run("nope", &o, qa_test_tmpdir(), &text, NULL), QA_ERR_ARG);
    CHECK_MSG_HAS(t, "librispeech");
    o.root = "/nonexistent/qaudio/root";
    CHECK_STATUS(t, fx_run("clotho", &o, qa_test_tmpdir(), &text, NULL), QA_ERR_IO);
    char *src = qa_evaldata_source_name("librispeech", "Test-Clean");
    CHECK(t, src && !strcmp(src, "librispeech_test_clean"));
    free(src);
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"csv_quoting", test_csv_quoting},
        {"natural_order_and_map", test_natural_order_and_map},
        {"librispeech", test_librispeech},
        {"aishell1", test_aishell1},
        {"aishell2", test_aishell2},
        {"covost2", test_covost2},
        {"qwen_jsonl", test_qwen_jsonl},
        {"registry", test_registry},
        {0}};
    return qa_test_main(argc, argv, cases);
}
