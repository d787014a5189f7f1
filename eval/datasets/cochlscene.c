/* eval/datasets/cochlscene: CochlScene acoustic scene classification -> eval jsonl.
 * Layout (as unpacked from Zenodo 7080122): ROOT/{Train,Val,Test}/CLASS/ (wav files) with the 13
 * classes Bus, Cafe, Car, CrowdedIndoor, Elevator, Kitchen, Park, ResidentialArea, Restaurant,
 * Restroom, Street, Subway, SubwayStation. --split test looks for ROOT/test, then ROOT/Test.
 * gt = the class folder name as written (unconfirmed: the reference jsonl is not public);
 * source = cochlscene_<split> (cochlscene_test). Order: classes, then files, natural order. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "eval/datasets/ed_util.h"
#include "eval/datasets/eval_data.h"

qa_status qa_evaldata_cochlscene(qa_evaldata_out *out, const qa_evaldata_opts *o)
{
    qa_status s = QA_OK;
    char **cls = NULL;
    int ncls = 0;
    char *dir = qa_ed_join(o->root, o->split);
    char *source = qa_evaldata_source_name("cochlscene", o->split);
    if (!dir || !source) {
        s = qa_error(QA_ERR_NOMEM, "out of memory");
        goto done;
    }
    if (!qa_ed_is_dir(dir)) { /* official folders are capitalised: Test */
        char *cap = qa_ed_fmt("%s", o->split);
        if (!cap) {
            s = qa_error(QA_ERR_NOMEM, "out of memory");
            goto done;
        }
        cap[0] = (char)toupper((unsigned char)cap[0]);
        free(dir);
        dir = qa_ed_join(o->root, cap);
        free(cap);
        if (!dir) {
            s = qa_error(QA_ERR_NOMEM, "out of memory");
            goto done;
        }
    }
    if (!qa_ed_is_dir(dir)) {
        s = qa_error(QA_ERR_IO, "CochlScene: split folder %s not found (expected ROOT/Test/CLASS/*.wav; splits "
                     "train, val, test)", dir);
        goto done;
    }
    if ((s = qa_ed_list_dir(dir, 1, NULL, &cls, &ncls))) goto done;
    for (int i = 0; i < ncls && !s; i++) {
        char *cdir = qa_ed_join(dir, cls[i]);
        char **w = NULL;
        int nw = 0;
        if (!cdir) s = qa_error(QA_ERR_NOMEM, "out of memory");
        if (!s) s = qa_ed_list_dir(cdir, 0, ".wav", &w, &nw);
        for (int j = 0; j < nw && !s; j++) {
            char *audio = qa_ed_join(cdir, w[j]);
            s = audio ? qa_evaldata_emit(out, audio, cls[i], source, NULL) : qa_error(QA_ERR_NOMEM, "out of memory");
            free(audio);
        }
        qa_ed_names_free(w, nw);
        free(cdir);
    }
done:
    qa_ed_names_free(cls, ncls);
    free(dir);
    free(source);
    return s;
}
