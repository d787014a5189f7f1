/* eval/metric_spice: SPICE and SPIDEr through the external SPICE 1.0 jar, the way pycocoevalcap
 * runs it: the PTB-tokenised captions go to `java -jar -Xmx8G JAR in.json -cache DIR -out
 * out.json -subset -silent` as [{"image_id", "test", "refs"}], and SPICE = mean of
 * scores.All.f over clips; SPIDEr = (CIDEr-D + SPICE) / 2. SPICE needs a Java scene-graph
 * parser that no C library provides: without QAUDIO_SPICE_JAR this fails with
 * QA_ERR_UNSUPPORTED and never reports a substitute. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cJSON.h"
#include "core/fileio.h"
#include "eval/metric_spice.h"

static qa_status write_input(const char *path, const char *const *hyp, const qa_refset *ref, size_t n) {
    cJSON *arr = cJSON_CreateArray();
    qa_strbuf b = {0};
    qa_status st = arr ? QA_OK : qa_error(QA_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n && !st; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON *refs = cJSON_CreateArray();
        if (!o || !refs) { cJSON_Delete(o); cJSON_Delete(refs); st = qa_error(QA_ERR_NOMEM, "out of memory"); break; }
        cJSON_AddItemToArray(arr, o);
        cJSON_AddNumberToObject(o, "image_id", (double)i);
        qa_strbuf_clear(&b);
        if ((st = qa_ptb_tokenize(&b, hyp[i]))) break;
        cJSON_AddStringToObject(o, "test", b.s ? b.s : "");
        for (int k = 0; k < ref[i].nref && !st; k++) {
            qa_strbuf_clear(&b);
            if (!(st = qa_ptb_tokenize(&b, ref[i].ref[k]))) cJSON_AddItemToArray(refs, cJSON_CreateString(b.s ? b.s : ""));
        }
        cJSON_AddItemToObject(o, "refs", refs);
    }
    char *txt = st ? NULL : cJSON_PrintUnformatted(arr);
    cJSON_Delete(arr);
    qa_strbuf_free(&b);
    if (st) return st;
    if (!txt) return qa_error(QA_ERR_NOMEM, "out of memory");
    qa_atomic_file af;
    if (!(st = qa_atomic_file_open(&af, path))) {
        fputs(txt, af.f);
        st = qa_atomic_file_commit(&af);
    }
    free(txt);
    return st;
}

qa_status qa_metric_spice(qa_metric_result *r, int spider, const char *const *hyp, const qa_refset *ref, size_t n,
                          const char *jar) {
    qa_metric_result_init(r, spider ? "spider" : "spice", n);
    if (!jar || !*jar)
        return qa_error(QA_ERR_UNSUPPORTED,
                        "%s is unavailable: it needs the Java SPICE 1.0 jar (with its Stanford CoreNLP models); "
                        "set QAUDIO_SPICE_JAR=/path/to/spice-1.0.jar and have `java` on PATH. "
                        "qaudio never reports a substitute under this name",
                        spider ? "SPIDEr" : "SPICE");
    if (access(jar, R_OK) != 0) return qa_error(QA_ERR_IO, "QAUDIO_SPICE_JAR=%s: %s", jar, strerror(errno));
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/qaudio-spice-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return qa_error(QA_ERR_IO, "cannot create a temporary directory in %s: %s", dir, strerror(errno));
    char in_path[4200], out_path[4200], cache[4200];
    snprintf(in_path, sizeof in_path, "%s/in.json", dir);
    snprintf(out_path, sizeof out_path, "%s/out.json", dir);
    snprintf(cache, sizeof cache, "%s/cache", dir);
    qa_status st = write_input(in_path, hyp, ref, n);
    if (!st) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) st = qa_error(QA_ERR_IO, "fork failed: %s", strerror(errno));
        else if (pid == 0) {
            char *argv[] = {"java", "-jar", "-Xmx8G", (char *)jar, in_path, "-cache", cache, "-out", out_path, "-subset", "-silent", NULL};
            execvp("java", argv);
            _exit(127);
        } else {
            int ws = 0;
            while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {}
            if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
                st = qa_error(QA_ERR_IO, "the SPICE jar failed (java exit status %d; 127 = java not found)",
                              WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
        }
    }
    char *txt = NULL;
    size_t len;
    if (!st) st = qa_file_read_all(out_path, &txt, &len);
    double sum = 0;
    size_t cnt = 0;
    if (!st) {
        cJSON *a = cJSON_Parse(txt);
        if (!cJSON_IsArray(a)) st = qa_error(QA_ERR_FORMAT, "%s: SPICE output is not a JSON list", out_path);
        cJSON *it;
        cJSON_ArrayForEach(it, a) {
            const cJSON *f = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(it, "scores"), "All"), "f");
            if (!cJSON_IsNumber(f)) { st = qa_error(QA_ERR_FORMAT, "%s: an item lacks scores.All.f", out_path); break; }
            sum += f->valuedouble;
            cnt++;
        }
        cJSON_Delete(a);
    }
    free(txt);
    remove(in_path);
    remove(out_path);
    rmdir(dir); /* the cache folder stays when the jar filled it; harmless */
    if (st) return st;
    if (cnt != n) return qa_error(QA_ERR_FORMAT, "SPICE returned %zu scores for %zu clips", cnt, n);
    double spice = n ? sum / (double)n : 0;
    if (spider) {
        qa_metric_result cr;
        if ((st = qa_metric_caption(&cr, "cider", hyp, ref, n))) return st;
        r->value = (cr.value + spice) / 2.0;
        qa_metric_result_part(r, "CIDEr", cr.value);
        qa_metric_result_part(r, "SPICE", spice);
    } else {
        r->value = spice;
    }
    return QA_OK;
}
