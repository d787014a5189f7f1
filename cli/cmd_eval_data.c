/* cli/cmd_eval_data: `qaudio eval-data` converts a benchmark from its official layout into the
 * eval jsonl of the reference harness (eval/datasets/eval_data.h; docs/eval-data.md). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "eval/datasets/eval_data.h"

static int run(int argc, char **argv)
{
    const char *dataset = NULL, *root = NULL, *split = NULL, *out = NULL, *audio_dir = NULL, *direction = NULL,
               *label_map = NULL;
    int skip_missing = 0, list = 0, quiet = 0;
    qa_cli_opt opts[] = {
        {NULL, "--dataset", QA_OPT_STR, &dataset, "NAME", "benchmark to convert (--list shows them)"},
        {NULL, "--root", QA_OPT_STR, &root, "DIR", "dataset root in its official layout (qwen-jsonl: the .jsonl file)"},
        {NULL, "--split", QA_OPT_STR, &split, "S[,S...]", "split(s) to convert (default: the paper's eval splits)"},
        {"-o", "--output", QA_OPT_STR, &out, "OUT.jsonl", "where to write the eval jsonl (atomically)"},
        {NULL, "--audio-dir", QA_OPT_STR, &audio_dir, "DIR", "folder holding the audio, when not in the default place"},
        {NULL, "--direction", QA_OPT_STR, &direction, "SRC-TGT[,...]", "CoVoST 2 directions (default: the 7 of the paper)"},
        {NULL, "--label-map", QA_OPT_STR, &label_map, "FILE", "rewrite gt labels: lines 'FROM<TAB>TO'"},
        {NULL, "--skip-missing", QA_OPT_FLAG, &skip_missing, NULL, "drop and count entries whose audio is missing"},
        {NULL, "--list", QA_OPT_FLAG, &list, NULL, "list the datasets, their default splits and layouts"},
        {"-q", "--quiet", QA_OPT_FLAG, &quiet, NULL, "no progress or counts on stderr"},
        {0}};
    int npos;
    int rc = qa_cli_parse(argc, argv, opts, NULL, NULL, 0, &npos);
    if (rc >= 0) return rc;
    if (list) {
        for (const qa_evaldata_adapter *a = qa_evaldata_adapters(); a->name; a++)
            printf("%-12s splits: %-42s %s\n", a->name, a->default_split, a->layout);
        return 0;
    }
    if (!dataset) return qa_cli_usage_error(argv[0], "--dataset is required (see --list)");
    if (!root) return qa_cli_usage_error(argv[0], "--root is required");
    if (!out) return qa_cli_usage_error(argv[0], "-o OUT.jsonl is required");
    if (!qa_evaldata_find(dataset)) return qa_cli_usage_error(argv[0], "unknown dataset '%s' (see --list)", dataset);
    if (direction && strcmp(dataset, "covost2"))
        return qa_cli_usage_error(argv[0], "--direction applies to --dataset covost2 only");
    qa_evaldata_opts o = {.root = root, .split = split, .audio_dir = audio_dir, .direction = direction,
                          .skip_missing = skip_missing, .label_map = label_map};
    qa_status s = qa_evaldata_run(dataset, &o, out, quiet ? NULL : stderr, NULL);
    if (s) return qa_cli_fail(argv[0], s);
    return 0;
}

const qa_cli_cmd qa_cmd_eval_data = {"eval-data", "convert a benchmark (official layout) into eval jsonl", run};
