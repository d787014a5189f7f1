/* Unit tests for eval/datasets (part 2): the non-speech adapters Clotho, Clotho-AQA, CochlScene,
 * TUT2017, MELD, VocalSound and NSynth, each from a fixture generated in its official layout
 * (audio files are empty placeholders, see eval_datasets_fixture.h), plus bad layouts. */
#include "tests/unit/eval_datasets_fixture.h"

static void test_clotho(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "clotho");
    fx_put(root, "clotho_captions_evaluation.csv",
           "file_name,caption_1,caption_2,caption_3,caption_4,caption_5\n"
           "Santa Motor.wav,A machine whines and squeals.,\"A person, using clippers.\",\"Someone says \"\"hi\"\".\","
           "\"Two\nlines.\",last one\n"
           "b.wav,1,2,3,4,5\n");
    fx_put(root, "evaluation/Santa Motor.wav", "");
    fx_put(root, "evaluation/b.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "clotho", &o, root, &st,
        "{\"audio\":\"@/evaluation/Santa Motor.wav\",\"gt\":[\"A machine whines and squeals.\",\"A person, using clippers.\","
        "\"Someone says \\\"hi\\\".\",\"Two\\nlines.\",\"last one\"],\"source\":\"clotho_evaluation\"}\n"
        "{\"audio\":\"@/evaluation/b.wav\",\"gt\":[\"1\",\"2\",\"3\",\"4\",\"5\"],\"source\":\"clotho_evaluation\"}\n");
    /* a row with an unquoted comma has 7 fields: error naming the line */
    fx_put(root, "clotho_captions_evaluation.csv",
           "file_name,caption_1,caption_2,caption_3,caption_4,caption_5\nb.wav,1,2,3,4,5\nb.wav,1,2,3,4,5,6\n");
    CHECK_STATUS(t, fx_run("clotho", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "clotho_captions_evaluation.csv:3");
    fx_put(root, "clotho_captions_evaluation.csv", "file_name,caption_1\nb.wav,1\n");
    CHECK_STATUS(t, fx_run("clotho", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "caption_2");
    o.split = "validation";
    CHECK_STATUS(t, fx_run("clotho", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "clotho_captions_validation.csv");
}

static void test_clothoaqa(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "clothoaqa");
    fx_put(root, "clotho_aqa_test.csv",
           "file_name,QuestionText,answer,confidence\n"
           "river_mouth3.wav,Are there waves?,yes,yes\n"
           "river_mouth3.wav,Are there waves?,yes,maybe\n"
           "river_mouth3.wav,Are there waves?,no,yes\n"
           "river_mouth3.wav,\"How many times, roughly?\",eleven,yes\n");
    fx_put(root, "audio_files/river_mouth3.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "clothoaqa", &o, root, &st,
        "{\"audio\":\"@/audio_files/river_mouth3.wav\",\"gt\":\"yes\",\"source\":\"clothoaqa_test\",\"question\":\"Are there waves?\"}\n"
        "{\"audio\":\"@/audio_files/river_mouth3.wav\",\"gt\":\"yes\",\"source\":\"clothoaqa_test\",\"question\":\"Are there waves?\"}\n"
        "{\"audio\":\"@/audio_files/river_mouth3.wav\",\"gt\":\"no\",\"source\":\"clothoaqa_test\",\"question\":\"Are there waves?\"}\n"
        "{\"audio\":\"@/audio_files/river_mouth3.wav\",\"gt\":\"eleven\",\"source\":\"clothoaqa_test\",\"question\":\"How many times, roughly?\"}\n");
    fx_put(root, "clotho_aqa_test.csv", "file_name,QuestionText,answer,confidence\nx.wav,Q?,yes,yes\n");
    CHECK_STATUS(t, fx_run("clothoaqa", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "clotho_aqa_test.csv:2");
    fx_put(root, "clotho_aqa_test.csv", "file,question,answer\nx.wav,Q?,yes\n");
    CHECK_STATUS(t, fx_run("clothoaqa", &o, root, &text, &st), QA_ERR_FORMAT);
}

static void test_cochlscene(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "cochlscene");
    fx_put(root, "Test/Bus/Bus_user0001_1.wav", "");
    fx_put(root, "Test/Bus/Bus_user0001_10.wav", "");
    fx_put(root, "Test/Bus/Bus_user0001_2.wav", "");
    fx_put(root, "Test/ResidentialArea/ResidentialArea_user0002_1.wav", "");
    fx_put(root, "Test/ResidentialArea/notes.txt", "");
    fx_put(root, "Train/Cafe/Cafe_user0003_1.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "cochlscene", &o, root, &st,
        "{\"audio\":\"@/Test/Bus/Bus_user0001_1.wav\",\"gt\":\"Bus\",\"source\":\"cochlscene_test\"}\n"
        "{\"audio\":\"@/Test/Bus/Bus_user0001_2.wav\",\"gt\":\"Bus\",\"source\":\"cochlscene_test\"}\n"
        "{\"audio\":\"@/Test/Bus/Bus_user0001_10.wav\",\"gt\":\"Bus\",\"source\":\"cochlscene_test\"}\n"
        "{\"audio\":\"@/Test/ResidentialArea/ResidentialArea_user0002_1.wav\",\"gt\":\"ResidentialArea\",\"source\":\"cochlscene_test\"}\n");
    /* --label-map rewrites string gts; unmapped labels stay as they are */
    fx_put(root, "map.tsv", "# CochlScene names -> spaced lower case\nResidentialArea\tresidential area\n\n");
    char map[1024];
    snprintf(map, sizeof map, "%s/map.tsv", root);
    o.label_map = map;
    CHECK_OK(t, fx_run("cochlscene", &o, root, &text, &st));
    CHECK(t, text && strstr(text, "\"gt\":\"residential area\"") && strstr(text, "\"gt\":\"Bus\"") &&
                 !strstr(text, "ResidentialArea\""));
    free(text);
    fx_put(root, "map.tsv", "Bus bus\n");
    CHECK_STATUS(t, fx_run("cochlscene", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "map.tsv:1");
    o.label_map = NULL;
    o.split = "val";
    CHECK_STATUS(t, fx_run("cochlscene", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "Val");
}

static void test_tut2017(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "tut2017");
    fx_put(root, "meta.txt", "audio/1.wav\tbeach\naudio/2.wav\tcafe/restaurant\naudio/3.wav\tcity_center\n");
    fx_put(root, "evaluation_setup/test.txt", "audio/3.wav\naudio/1.wav\n");
    for (int i = 1; i <= 3; i++) {
        char rel[32];
        snprintf(rel, sizeof rel, "audio/%d.wav", i);
        fx_put(root, rel, "");
    }
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root}; /* no evaluate.txt: meta.txt is the list */
    FX_CHECK_OUTPUT(t, "tut2017", &o, root, &st,
        "{\"audio\":\"@/audio/1.wav\",\"gt\":\"beach\",\"source\":\"tut2017_evaluation\"}\n"
        "{\"audio\":\"@/audio/2.wav\",\"gt\":\"cafe/restaurant\",\"source\":\"tut2017_evaluation\"}\n"
        "{\"audio\":\"@/audio/3.wav\",\"gt\":\"city_center\",\"source\":\"tut2017_evaluation\"}\n");
    fx_put(root, "evaluation_setup/evaluate.txt", "audio/2.wav\tcafe/restaurant\n");
    CHECK_OK(t, fx_run("tut2017", &o, root, &text, &st));
    CHECK(t, st.lines == 1);
    free(text);
    o.split = "test"; /* names only: labels from meta.txt */
    FX_CHECK_OUTPUT(t, "tut2017", &o, root, &st,
        "{\"audio\":\"@/audio/3.wav\",\"gt\":\"city_center\",\"source\":\"tut2017_test\"}\n"
        "{\"audio\":\"@/audio/1.wav\",\"gt\":\"beach\",\"source\":\"tut2017_test\"}\n");
    fx_put(root, "evaluation_setup/test.txt", "audio/3.wav\naudio/9.wav\n");
    CHECK_STATUS(t, fx_run("tut2017", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "test.txt:2");
    o.split = "fold9_evaluate";
    CHECK_STATUS(t, fx_run("tut2017", &o, root, &text, &st), QA_ERR_IO);
}

static void test_meld(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "meld");
    fx_put(root, "test_sent_emo.csv",
           "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"
           "1,\"Why do all you're coffee mugs have numbers on the bottom?\",Mark,surprise,positive,0,0,3,19,00:14:38,00:14:40\n"
           "2,\"Oh. That's so Monica can keep track, \"\"right\"\"?\nYes.\",Rachel,anger,negative,0,1,3,19,00:14:40,00:14:44\n");
    fx_put(root, "output_repeated_splits_test/dia0_utt0.wav", "");
    fx_put(root, "output_repeated_splits_test/dia0_utt1.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "meld", &o, root, &st,
        "{\"audio\":\"@/output_repeated_splits_test/dia0_utt0.wav\",\"gt\":\"surprise\",\"source\":\"meld_test\"}\n"
        "{\"audio\":\"@/output_repeated_splits_test/dia0_utt1.wav\",\"gt\":\"anger\",\"source\":\"meld_test\"}\n");
    /* only the mp4 is there: a clear message about the external converter */
    char wav[1024];
    snprintf(wav, sizeof wav, "%s/output_repeated_splits_test/dia0_utt1.wav", root);
    unlink(wav);
    fx_put(root, "output_repeated_splits_test/dia0_utt1.mp4", "");
    CHECK_STATUS(t, fx_run("meld", &o, root, &text, &st), QA_ERR_UNSUPPORTED);
    CHECK_MSG_HAS(t, "ffmpeg");
    CHECK_MSG_HAS(t, "test_sent_emo.csv:3");
    o.skip_missing = 1;
    CHECK_OK(t, fx_run("meld", &o, root, &text, &st));
    CHECK(t, st.lines == 1 && st.skipped == 1);
    free(text);
    /* --audio-dir elsewhere */
    fx_put(root, "wavs/dia0_utt0.wav", "");
    fx_put(root, "wavs/dia0_utt1.wav", "");
    char adir[1024];
    snprintf(adir, sizeof adir, "%s/wavs", root);
    o = (qa_evaldata_opts){.root = root, .audio_dir = adir};
    CHECK_OK(t, fx_run("meld", &o, root, &text, &st));
    CHECK(t, st.lines == 2 && text && strstr(text, "/wavs/dia0_utt1.wav"));
    free(text);
    fx_put(root, "test_sent_emo.csv", "Utterance,Emotion,Dialogue_ID,Utterance_ID\nhi,joy,x,0\n");
    CHECK_STATUS(t, fx_run("meld", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "test_sent_emo.csv:2");
    o.split = "valid";
    CHECK_STATUS(t, fx_run("meld", &o, root, &text, &st), QA_ERR_ARG);
}

static void test_vocalsound(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "vocalsound");
    static const char *const files[] = {"f0003_0_cough.wav", "f0003_0_throatclearing.wav", "m0005_0_sneeze.wav",
                                        "m0005_0_laughter.wav", "m0005_0_sigh.wav", "m0005_0_sniff.wav"};
    for (int i = 0; i < 6; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "audio_16k/%s", files[i]);
        fx_put(root, rel, "");
    }
    fx_put(root, "datafiles/te.json",
           "{\"data\": [{\"wav\": \"/data/sls/vocalsound/audio_16k/m0005_0_sneeze.wav\", \"labels\": \"/m/vs_4\"},"
           " {\"wav\": \"/x/f0003_0_throatclearing.wav\", \"labels\": \"/m/vs_3\"}]}");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "vocalsound", &o, root, &st,
        "{\"audio\":\"@/audio_16k/m0005_0_sneeze.wav\",\"gt\":\"Sneeze\",\"source\":\"vocalsound_test\"}\n"
        "{\"audio\":\"@/audio_16k/f0003_0_throatclearing.wav\",\"gt\":\"Throat clearing\",\"source\":\"vocalsound_test\"}\n");
    o.split = "all";
    FX_CHECK_OUTPUT(t, "vocalsound", &o, root, &st,
        "{\"audio\":\"@/audio_16k/f0003_0_cough.wav\",\"gt\":\"Cough\",\"source\":\"vocalsound_all\"}\n"
        "{\"audio\":\"@/audio_16k/f0003_0_throatclearing.wav\",\"gt\":\"Throat clearing\",\"source\":\"vocalsound_all\"}\n"
        "{\"audio\":\"@/audio_16k/m0005_0_laughter.wav\",\"gt\":\"Laughter\",\"source\":\"vocalsound_all\"}\n"
        "{\"audio\":\"@/audio_16k/m0005_0_sigh.wav\",\"gt\":\"Sigh\",\"source\":\"vocalsound_all\"}\n"
        "{\"audio\":\"@/audio_16k/m0005_0_sneeze.wav\",\"gt\":\"Sneeze\",\"source\":\"vocalsound_all\"}\n"
        "{\"audio\":\"@/audio_16k/m0005_0_sniff.wav\",\"gt\":\"Sniff\",\"source\":\"vocalsound_all\"}\n");
    fx_put(root, "audio_16k/m0006_0_hiccup.wav", "");
    CHECK_STATUS(t, fx_run("vocalsound", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "m0006_0_hiccup.wav");
    o.split = "test";
    fx_put(root, "datafiles/te.json", "{\"data\": [{\"wav\": \"a\"}, {\"nowav\": 1}]");
    CHECK_STATUS(t, fx_run("vocalsound", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "te.json");
    fx_put(root, "datafiles/te.json", "{\"data\": [{\"wav\": \"f0003_0_cough.wav\"}, {\"nowav\": 1}]}");
    CHECK_STATUS(t, fx_run("vocalsound", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "data[1]");
}

static void test_nsynth(qa_t *t)
{
    char root[512];
    fx_root(root, sizeof root, "nsynth");
    fx_put(root, "nsynth-test/examples.json",
           "{\"keyboard_electronic_001-021-127\": {\"note_str\": \"keyboard_electronic_001-021-127\", \"pitch\": 21,"
           " \"velocity\": 127, \"instrument_family_str\": \"keyboard\", \"instrument_str\": \"keyboard_electronic_001\","
           " \"qualities_str\": [\"bright\", \"fast_decay\"], \"sample_rate\": 16000},"
           " \"bass_synthetic_033-022-050\": {\"pitch\": 22, \"velocity\": 50, \"instrument_family_str\": \"bass\","
           " \"qualities_str\": []}}");
    fx_put(root, "nsynth-test/audio/keyboard_electronic_001-021-127.wav", "");
    fx_put(root, "nsynth-test/audio/bass_synthetic_033-022-050.wav", "");
    char *text;
    qa_evaldata_stats st;
    qa_evaldata_opts o = {.root = root};
    FX_CHECK_OUTPUT(t, "nsynth", &o, root, &st,
        "{\"audio\":\"@/nsynth-test/audio/keyboard_electronic_001-021-127.wav\",\"gt\":\"<|pitch|><|midi_pitch_21|>"
        "<|velocity|><|midi_velocity_127|><|instrument|>keyboard<|sonic|>bright, fast_decay\",\"source\":\"nsynth_test\"}\n"
        "{\"audio\":\"@/nsynth-test/audio/bass_synthetic_033-022-050.wav\",\"gt\":\"<|pitch|><|midi_pitch_22|>"
        "<|velocity|><|midi_velocity_50|><|instrument|>bass<|sonic|>\",\"source\":\"nsynth_test\"}\n");
    fx_put(root, "nsynth-test/examples.json", "{\"a\": {\"pitch\": 200, \"velocity\": 1, \"instrument_family_str\": \"x\","
                                              " \"qualities_str\": []}}");
    CHECK_STATUS(t, fx_run("nsynth", &o, root, &text, &st), QA_ERR_FORMAT);
    CHECK_MSG_HAS(t, "\"a\"");
    fx_put(root, "nsynth-test/examples.json", "{\"a\": ");
    CHECK_STATUS(t, fx_run("nsynth", &o, root, &text, &st), QA_ERR_FORMAT);
    o.split = "valid";
    CHECK_STATUS(t, fx_run("nsynth", &o, root, &text, &st), QA_ERR_IO);
    CHECK_MSG_HAS(t, "examples.json");
}

int main(int argc, char **argv)
{
    static const qa_test_case cases[] = {
        {"clotho", test_clotho},
        {"clothoaqa", test_clothoaqa},
        {"cochlscene", test_cochlscene},
        {"tut2017", test_tut2017},
        {"meld", test_meld},
        {"vocalsound", test_vocalsound},
        {"nsynth", test_nsynth},
        {0}};
    return qa_test_main(argc, argv, cases);
}
