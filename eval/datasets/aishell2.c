/* eval/datasets/aishell2: AISHELL-2 evaluation sets (AISHELL2-2018A-EVAL) -> eval jsonl.
 * Layout: ROOT/{Android,iOS,Mic}/SPLIT/{wav.scp, trans.txt, wav/...} (folder names matched
 * case-insensitively: IOS, iOS, ios); wav.scp is "ID PATH" with PATH relative to its folder,
 * trans.txt is "ID TEXT". Split "test" converts the three devices (each must exist); "test-ios",
 * "test-android", "test-mic" (also dev-*) convert one. Lines follow wav.scp order.
 * gt = the trans.txt text with spaces removed; source = aishell2_<split>_<device>, e.g.
 * aishell2_test_ios (our choice: the reference names are not public). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

static const char *const devices[3] = {"Android", "iOS", "Mic"};

/* Finds ROOT/<device in any case>/SPLIT. malloc'd path or NULL (*oom set on allocation failure). */
static char *device_dir(const char *root, const char *device, const char *split, int *oom)
{
    char **names = NULL;
    int n = 0;
    *oom = 0;
    if (qa_ed_list_dir(root, 1, NULL, &names, &n)) return NULL;
    char *found = NULL;
    for (int i = 0; i < n && !found; i++) {
        if (strcasecmp(names[i], device)) continue;
        char *d = qa_ed_join3(root, names[i], split);
        if (!d) *oom = 1;
        else if (qa_ed_is_dir(d)) found = d;
        else free(d);
    }
    qa_ed_names_free(names, n);
    return found;
}

static qa_status one_device(qa_evaldata_out *out, const char *dir, const char *split, const char *device)
{
    char *scp = qa_ed_join(dir, "wav.scp"), *trans = qa_ed_join(dir, "trans.txt");
    char *dev_lc = qa_ed_fmt("%s_%s", split, device);
    char *source = dev_lc ? qa_evaldata_source_name("aishell2", dev_lc) : NULL;
    qa_ed_map map = {0};
    qa_ed_lines r = {0};
    qa_status s = QA_OK;
    if (!scp || !trans || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_file(scp) || !qa_ed_is_file(trans)) {
        s = qa_error(QA_ERR_IO, "AISHELL-2: %s must hold wav.scp and trans.txt", dir);
        goto done;
    }
    if ((s = qa_ed_load_transcripts(&map, trans)) || (s = qa_ed_lines_open(&r, scp))) goto done;
    char *line;
    while (!s && qa_ed_lines_next(&r, &line)) {
        char *id, *path;
        if (!qa_ed_split_key(line, &id, &path)) continue;
        if (!*path) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: expected 'ID PATH', got '%s'", scp, r.line, id);
            break;
        }
        const char *text = qa_ed_map_get(&map, id);
        if (!text) {
            s = qa_error(QA_ERR_FORMAT, "%s:%zu: utterance %s has no line in %s", scp, r.line, id, trans);
            break;
        }
        char *audio = qa_ed_join(dir, path);
        s = qa_evaldata_emit_row(out, audio, scp, r.line, text, source, NULL);
        free(audio);
    }
done:
    qa_ed_lines_close(&r);
    qa_ed_map_free(&map);
    free(scp);
    free(trans);
    free(dev_lc);
    free(source);
    return s;
}

qa_status qa_evaldata_aishell2(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    /* "test" -> all devices; "test-ios" -> one */
    char split[64];
    const char *want = NULL;
    const char *dash = strchr(o->split, '-');
    if (strlen(o->split) >= sizeof split) return qa_error(QA_ERR_ARG, "AISHELL-2: split name too long");
    snprintf(split, sizeof split, "%.*s", dash ? (int)(dash - o->split) : (int)strlen(o->split), o->split);
    if (dash) {
        for (int i = 0; i < 3; i++)
            if (!strcasecmp(dash + 1, devices[i])) want = devices[i];
        if (!want)
            return qa_error(QA_ERR_ARG, "AISHELL-2: unknown device in split '%s' (use SPLIT-android, SPLIT-ios or "
                            "SPLIT-mic, or plain SPLIT for all three)", o->split);
    }
    qa_status s = QA_OK;
    for (int i = 0; i < 3 && !s; i++) {
        if (want && want != devices[i]) continue;
        int oom;
        char *dir = device_dir(o->root, devices[i], split, &oom);
        if (oom) return qa_error(QA_ERR_NOMEM, "out of memory");
        if (!dir)
            return qa_error(QA_ERR_IO, "AISHELL-2: folder %s/%s/%s not found (expected ROOT/{Android,iOS,Mic}/%s "
                            "with wav.scp and trans.txt; use --split %s-ios etc. to convert one device)",
                            o->root, devices[i], split, split, split);
        s = one_device(out, dir, split, devices[i]);
        free(dir);
    }
    return s;
}
