/* cli/cmd_inspect: `qaudio inspect SHARD.h5` — shows one sample of a shard: the decoded text
 * with the loss-bearing tokens between [[ and ]], audio spans collapsed to
 * <audio>[N x AUDIO]</audio>, the lengths and audio durations; --json prints ids and labels.
 * Decoding needs the tokenizer: --tokenizer, else the one named in index.json beside the shard. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "cli/cli.h"
#include "core/fileio.h"
#include "data/format.h"
#include "data/shard.h"
#include "data/special_tokens.h"
#include "data/tokenizer.h"

/* The tokenizer path recorded in index.json next to the shard (malloc'd) or NULL. */
static char *tokenizer_from_index(const char *shard)
{
    char *ip = qa_path_relative_to(shard, "index.json"), *data = NULL, *out = NULL;
    size_t len;
    if (ip && !qa_file_read_all(ip, &data, &len)) {
        cJSON *j = cJSON_ParseWithLength(data, len);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "tokenizer");
        if (cJSON_IsString(t)) out = strdup(t->valuestring);
        cJSON_Delete(j);
    }
    qa_error_clear();
    free(data);
    free(ip);
    return out;
}

/* Appends the text of ids[a..b) to sb (audio spans collapsed). */
static qa_status render_run(const qa_tokenizer *tok, const int32_t *ids, int64_t a, int64_t b, FILE *f)
{
    int64_t i = a;
    while (i < b) {
        if (ids[i] == QA_TOK_AUDIO_START) {
            int64_t j = i + 1;
            while (j < b && ids[j] == QA_TOK_AUDIO_PAD) j++;
            fprintf(f, "<audio>[%lld x AUDIO]", (long long)(j - i - 1));
            if (j < b && ids[j] == QA_TOK_AUDIO_END) {
                fputs("</audio>", f);
                j++;
            }
            i = j;
            continue;
        }
        int64_t j = i;
        while (j < b && ids[j] != QA_TOK_AUDIO_START) j++;
        char *txt;
        size_t n;
        qa_status s = qa_tokenizer_decode(tok, ids + i, (size_t)(j - i), 0, &txt, &n);
        if (s) return s;
        fwrite(txt, 1, n, f);
        free(txt);
        i = j;
    }
    return QA_OK;
}

static qa_status show(qa_shard *sh, int64_t i, const char *tokpath, int tok_optional, int json)
{
    const qa_shard_index *ix = qa_shard_get_index(sh);
    if (i < 0 || i >= ix->n_samples)
        return qa_error(QA_ERR_ARG, "--sample %lld: the shard holds samples 0..%lld", (long long)i,
                        (long long)ix->n_samples - 1);
    int64_t n = ix->tok_off[i + 1] - ix->tok_off[i], n_loss = 0;
    int32_t *ids = malloc((size_t)n * 4 + 4), *lab = malloc((size_t)n * 4 + 4);
    char *rec = NULL;
    qa_tokenizer *tok = NULL;
    qa_status s = (!ids || !lab) ? qa_error(QA_ERR_NOMEM, "out of memory") : qa_shard_read_tokens(sh, i, ids, lab);
    if (!s) s = qa_shard_read_record(sh, i, &rec);
    if (!s && tokpath) {
        s = qa_tokenizer_load(tokpath, &tok);
        if (s && tok_optional) { /* the path recorded in index.json may be relative to another directory */
            fprintf(stderr, "inspect: cannot load the tokenizer %s named in index.json (%s): pass --tokenizer\n",
                    tokpath, qa_error_message());
            s = QA_OK;
        }
    }
    for (int64_t k = 0; k < n; k++) n_loss += lab[k] != QA_LABEL_IGNORE;
    const char *task = qa_task_name((qa_task)ix->task[i]);
    if (!s && json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "shard", ix->path);
        cJSON_AddNumberToObject(o, "sample", (double)i);
        cJSON_AddStringToObject(o, "task", task ? task : "?");
        cJSON_AddNumberToObject(o, "tokens", (double)n);
        cJSON_AddNumberToObject(o, "loss_tokens", (double)n_loss);
        cJSON_AddItemToObject(o, "ids", cJSON_CreateIntArray(ids, (int)n));
        cJSON_AddItemToObject(o, "labels", cJSON_CreateIntArray(lab, (int)n));
        cJSON *au = cJSON_AddArrayToObject(o, "audio");
        for (int64_t j = ix->audio_off[i]; j < ix->audio_off[i + 1]; j++) {
            cJSON *a = cJSON_CreateObject();
            cJSON_AddNumberToObject(a, "seconds", (double)ix->samples[j] / 16000.0);
            cJSON_AddNumberToObject(a, "samples", (double)ix->samples[j]);
            cJSON_AddNumberToObject(a, "mel_len", ix->mel_len[j]);
            cJSON_AddNumberToObject(a, "span", ix->span[j]);
            cJSON_AddNumberToObject(a, "stored", (double)(ix->feat_off[j + 1] - ix->feat_off[j]));
            cJSON_AddNumberToObject(a, "floor", ix->floor[j]);
            cJSON_AddItemToArray(au, a);
        }
        cJSON *r = cJSON_Parse(rec);
        if (r) cJSON_AddItemToObject(o, "record", r);
        else cJSON_AddStringToObject(o, "record", rec);
        char *txt = cJSON_PrintUnformatted(o);
        if (txt) printf("%s\n", txt);
        free(txt);
        cJSON_Delete(o);
    } else if (!s) {
        printf("shard   %s (%s features, %lld samples)\n", ix->path, ix->kind == QA_FEAT_MEL ? "mel" : "pcm",
               (long long)ix->n_samples);
        printf("sample  %lld: task %s, %lld tokens, %lld with loss, %lld audio\n", (long long)i, task ? task : "?",
               (long long)n, (long long)n_loss, (long long)(ix->audio_off[i + 1] - ix->audio_off[i]));
        for (int64_t j = ix->audio_off[i]; j < ix->audio_off[i + 1]; j++)
            printf("audio   %lld: %.3f s, mel_len %d, span %d tokens, %lld %s stored\n",
                   (long long)(j - ix->audio_off[i]), (double)ix->samples[j] / 16000.0, ix->mel_len[j], ix->span[j],
                   (long long)(ix->feat_off[j + 1] - ix->feat_off[j]),
                   ix->kind == QA_FEAT_MEL ? "mel frames" : "PCM samples");
        printf("record  %s\n", rec);
        if (tok) {
            printf("text    (tokens with loss between [[ and ]])\n");
            int64_t k = 0;
            while (k < n && !s) {
                int loss = lab[k] != QA_LABEL_IGNORE;
                int64_t e = k;
                while (e < n && (lab[e] != QA_LABEL_IGNORE) == loss) e++;
                if (loss) fputs("[[", stdout);
                s = render_run(tok, ids, k, e, stdout);
                if (loss) fputs("]]", stdout);
                k = e;
            }
            fputc('\n', stdout);
        } else {
            printf("text    (no tokenizer: pass --tokenizer to decode)\n");
        }
    }
    qa_tokenizer_free(tok);
    free(rec);
    free(ids);
    free(lab);
    return s;
}

static int run(int argc, char **argv)
{
    const char *tokpath = NULL;
    long long sample = 0;
    int json = 0;
    qa_cli_opt opts[] = {
        {"-i", "--sample", QA_OPT_I64, &sample, "I", "sample index in the shard (default 0)"},
        {"-t", "--tokenizer", QA_OPT_STR, &tokpath, "FILE", "tokenizer for decoding (default: from index.json)"},
        {NULL, "--json", QA_OPT_FLAG, &json, NULL, "print ids, labels, lengths and the record as JSON"},
        {0}};
    const char *pos[1];
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, "SHARD.h5", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1) return qa_cli_usage_error(argv[0], "give one shard file");
    qa_shard *sh;
    qa_status s = qa_shard_open(&sh, pos[0]);
    if (s) return qa_cli_fail(argv[0], s);
    char *from_index = tokpath || json ? NULL : tokenizer_from_index(pos[0]);
    s = show(sh, sample, tokpath ? tokpath : from_index, !tokpath, json);
    free(from_index);
    qa_shard_close(sh);
    return s ? qa_cli_fail(argv[0], s) : 0;
}

const qa_cli_cmd qa_cmd_inspect = {"inspect", "show a sample of an HDF5 shard (text, loss mask, lengths)", run};
