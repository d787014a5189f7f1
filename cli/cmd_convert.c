/* cli/cmd_convert: `qaudio convert IN_DIR -o OUT_DIR` rewrites a checkpoint directory with other
 * dtypes (per part) and/or another sharding; tensors are streamed from the mapped input, so a 7B
 * checkpoint is never held twice in memory. The tokenizer file is copied along. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/save_opts.h"
#include "model/checkpoint.h"

static int run(int argc, char **argv)
{
    const char *out = NULL;
    qa_cli_save_args sa = {0};
    qa_cli_opt opts[] = {
        {"-o", "--output", QA_OPT_STR, &out, "DIR", "checkpoint directory to write (not the input)"},
        QA_CLI_SAVE_OPTS(sa, "f32, bf16, f16 or keep (default keep)"),
        {0}};
    const char *pos[1];
    int npos = 0;
    int rc = qa_cli_parse(argc, argv, opts, "IN_DIR", pos, 1, &npos);
    if (rc >= 0) return rc;
    if (npos != 1 || !out) return qa_cli_usage_error(argv[0], "expected IN_DIR and -o OUT_DIR");
    char *ri = realpath(pos[0], NULL), *ro = realpath(out, NULL);
    int same = ri && ro && !strcmp(ri, ro);
    free(ri);
    free(ro);
    if (same) return qa_cli_usage_error(argv[0], "the output must be another directory than the input");
    qa_checkpoint_save_opts o = qa_checkpoint_save_defaults();
    if ((rc = qa_cli_save_args_apply(&o, &sa, QA_DTYPE_KEEP, argv[0]))) return rc;
    qa_checkpoint *ck;
    qa_status s = qa_checkpoint_open(&ck, pos[0]);
    if (s) return qa_cli_fail(argv[0], s);
    o.tokenizer = ck->tokenizer_path;
    qa_tensor_src *src = calloc((size_t)ck->table.n + 1, sizeof *src);
    if (!src) s = qa_error(QA_ERR_NOMEM, "out of memory");
    for (int i = 0; !s && i < ck->table.n; i++) src[i] = (qa_tensor_src){ck->tensors[i]->data, ck->tensors[i]->dtype};
    if (!s) s = qa_checkpoint_save(out, &ck->cfg, &ck->table, src, NULL, NULL, &o);
    free(src);
    qa_checkpoint_close(ck);
    if (s) return qa_cli_fail(argv[0], s);
    printf("wrote %s\n", out);
    return 0;
}

const qa_cli_cmd qa_cmd_convert = {"convert", "rewrite a checkpoint with other dtypes or sharding", run};
