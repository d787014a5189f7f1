/* cli/cmd_tokenize: `qaudio tokenize` — text to token ids (or back with --decode) with a Qwen
 * tiktoken vocabulary or a sentencepiece model. Input is the TEXT argument or, with `-` or no
 * argument, standard input read verbatim (no newline added or removed). Ids are printed separated
 * by single spaces and ended by one newline; decoded text is printed verbatim with no newline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "data/tokenizer.h"

static qa_status read_stdin(char **data, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return qa_error(QA_ERR_NOMEM, "out of memory reading standard input");
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return qa_error(QA_ERR_NOMEM, "out of memory reading standard input");
            }
            buf = p;
        }
        size_t r = fread(buf + n, 1, cap - n, stdin);
        n += r;
        if (r == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return qa_error(QA_ERR_IO, "cannot read standard input: %s", strerror(errno));
    }
    *data = buf;
    *len = n;
    return QA_OK;
}

/* "12 34,56\n" -> ids; anything but digits, spaces and commas is an error naming the token. */
static qa_status parse_ids(const char *s, size_t len, qa_ids *out)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',') {
            i++;
            continue;
        }
        size_t j = i;
        long long v = 0;
        while (j < len && s[j] >= '0' && s[j] <= '9' && v <= 0x7fffffff) v = v * 10 + (s[j++] - '0');
        int bad = j == i || v > 0x7fffffff ||
                  (j < len && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r' || s[j] == ','));
        if (bad) {
            size_t e = i;
            while (e < len && e - i < 20 && s[e] != ' ' && s[e] != '\n') e++;
            return qa_error(QA_ERR_ARG, "'%.*s' is not a token id (expected non-negative integers separated by spaces)",
                            (int)(e - i), s + i);
        }
        qa_status st = qa_ids_push(out, (int32_t)v);
        if (st) return st;
        i = j;
    }
    return QA_OK;
}

static int run(int argc, char **argv)
{
    const char *tokenizer = NULL, *special = "all";
    int decode = 0, skip_special = 0;
    qa_cli_opt opts[] = {
        {"-t", "--tokenizer", QA_OPT_STR, &tokenizer, "FILE", "qwen.tiktoken (Qwen BPE) or a sentencepiece .model"},
        {NULL, "--special", QA_OPT_STR, &special, "MODE",
         "special-token strings recognised: all (default), audio (the audio list only), none (Qwen BPE only)"},
        {"-d", "--decode", QA_OPT_FLAG, &decode, NULL, "input is ids; print the text"},
        {NULL, "--skip-special", QA_OPT_FLAG, &skip_special, NULL, "with --decode: drop special tokens"},
        {0}};
    const char *pos[1];
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, "[TEXT | -]", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (!tokenizer) return qa_cli_usage_error(argv[0], "--tokenizer FILE is required");
    if (skip_special && !decode) return qa_cli_usage_error(argv[0], "--skip-special only applies with --decode");
    qa_special_mode mode;
    if (!strcmp(special, "all")) mode = QA_SPECIAL_ALL;
    else if (!strcmp(special, "audio")) mode = QA_SPECIAL_AUDIO;
    else if (!strcmp(special, "none")) mode = QA_SPECIAL_NONE;
    else return qa_cli_usage_error(argv[0], "--special must be all, audio or none, not '%s'", special);

    char *in = NULL;
    size_t in_len = 0;
    qa_status s;
    if (npos == 0 || !strcmp(pos[0], "-")) {
        if ((s = read_stdin(&in, &in_len))) return qa_cli_fail(argv[0], s);
    } else {
        in_len = strlen(pos[0]);
        in = malloc(in_len + 1);
        if (!in) return qa_cli_fail(argv[0], qa_error(QA_ERR_NOMEM, "out of memory"));
        memcpy(in, pos[0], in_len + 1);
    }
    qa_tokenizer *tok = NULL;
    qa_ids ids = {0};
    char *text = NULL, *line = NULL;
    size_t text_len = 0;
    if ((s = qa_tokenizer_load(tokenizer, &tok))) goto out;
    /* sentencepiece always matches its user-defined symbols: say so rather than ignore the flag */
    if (!decode && mode != QA_SPECIAL_ALL && qa_tokenizer_get_kind(tok) == QA_TOKENIZER_SPM)
        fprintf(stderr,
                "qaudio tokenize: warning: --special %s has no effect with a sentencepiece model (%s): its special "
                "symbols are always recognised (see docs/tokenizer.md)\n",
                special, tokenizer);
    if (decode) {
        if ((s = parse_ids(in, in_len, &ids))) goto out;
        if ((s = qa_tokenizer_decode(tok, ids.ids, ids.n, skip_special, &text, &text_len))) goto out;
        if (fwrite(text, 1, text_len, stdout) != text_len) s = qa_error(QA_ERR_IO, "cannot write standard output");
        goto out;
    }
    if ((s = qa_tokenizer_encode(tok, in, in_len, mode, &ids))) {
        s = qa_error_wrap(s, "input %s", npos == 0 || !strcmp(pos[0], "-") ? "(standard input)" : "(argument)");
        goto out;
    }
    line = malloc(ids.n * 12 + 2);
    if (!line) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t w = 0;
    for (size_t i = 0; i < ids.n; i++) w += (size_t)sprintf(line + w, i ? " %d" : "%d", (int)ids.ids[i]);
    line[w++] = '\n';
    if (fwrite(line, 1, w, stdout) != w) s = qa_error(QA_ERR_IO, "cannot write standard output");
out:
    if (!s && fflush(stdout) != 0) s = qa_error(QA_ERR_IO, "cannot write standard output: %s", strerror(errno));
    free(in);
    free(text);
    free(line);
    qa_ids_free(&ids);
    qa_tokenizer_free(tok);
    return s ? qa_cli_fail(argv[0], s) : 0;
}

const qa_cli_cmd qa_cmd_tokenize = {"tokenize", "text to token ids and back (Qwen tiktoken BPE or sentencepiece)", run};
