/* eval/metric_map: NSynth scoring of note-analysis strings
 *   <|pitch|><|midi_pitch_P|><|velocity|><|midi_velocity_V|><|instrument|>NAME<|sonic|>q1, q2
 * as Qwen-Audio's get_note_info reads them (missing pitch/velocity -> 128, missing text -> "").
 * value = qualities mAP: the text after <|sonic|> up to the next '<' split on ", ", kept when
 * one of the ten NSynth qualities; multi-hot over the labels seen in references or hypotheses;
 * sklearn average_precision_score(average="macro") with the 0/1 hypothesis as the scores, i.e.
 * per label AP = R1*P1 + (1 - R1)*prevalence (R1, P1 = recall, precision of the predicted
 * positives; prevalence alone when nothing is predicted; 0 when the label has no positive).
 * Parts: instrument_acc (exact match), velocity_acc, pitch_top1, pitch_chroma (pitch mod 12). */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics.h"

static const char *const qualities[10] = {"bright", "dark", "distortion", "fast_decay", "long_release",
                                          "multiphonic", "nonlinear_env", "percussive", "reverb", "tempo-synced"};

typedef struct {
    int pitch, velocity;
    const char *inst; /* points into the line */
    size_t inst_len;
    unsigned qmask;   /* bit k = qualities[k] */
} note_info;

static int tag_int(const char *s, const char *tag, int missing) {
    const char *p = strstr(s, tag);
    if (!p) return missing;
    p += strlen(tag);
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || strncmp(end, "|>", 2) != 0 || v < 0 || v > 1000000) return missing;
    return (int)v;
}

static void tag_text(const char *s, const char *tag, const char **out, size_t *n) {
    const char *p = strstr(s, tag);
    if (!p) { *out = ""; *n = 0; return; }
    p += strlen(tag);
    const char *e = strchr(p, '<');
    *out = p;
    *n = e ? (size_t)(e - p) : strlen(p);
}

static void parse_note(note_info *ni, const char *s) {
    ni->pitch = tag_int(s, "<|midi_pitch_", 128);
    ni->velocity = tag_int(s, "<|midi_velocity_", 128);
    tag_text(s, "<|instrument|>", &ni->inst, &ni->inst_len);
    const char *q;
    size_t qn;
    tag_text(s, "<|sonic|>", &q, &qn);
    ni->qmask = 0;
    size_t i = 0;
    while (i <= qn) { /* split on ", " exactly as str.split(", ") */
        size_t j = i;
        while (j < qn && !(q[j] == ',' && j + 1 < qn && q[j + 1] == ' ')) j++;
        for (int k = 0; k < 10; k++)
            if (strlen(qualities[k]) == j - i && !memcmp(qualities[k], q + i, j - i)) ni->qmask |= 1u << k;
        if (j >= qn) break;
        i = j + 2;
    }
}

qa_status qa_metric_map(qa_metric_result *r, const char *const *hyp, const qa_refset *ref, size_t n) {
    qa_metric_result_init(r, "map", n);
    size_t pos[10] = {0}, pred[10] = {0}, tp[10] = {0};
    size_t inst_ok = 0, vel_ok = 0, pitch_ok = 0, chroma_ok = 0;
    unsigned seen = 0;
    for (size_t i = 0; i < n; i++) {
        note_info h, g;
        parse_note(&h, hyp[i]);
        parse_note(&g, ref[i].ref[0]);
        inst_ok += h.inst_len == g.inst_len && !memcmp(h.inst, g.inst, h.inst_len);
        vel_ok += h.velocity == g.velocity;
        pitch_ok += h.pitch == g.pitch;
        chroma_ok += h.pitch % 12 == g.pitch % 12;
        seen |= h.qmask | g.qmask;
        for (int k = 0; k < 10; k++) {
            int t = (g.qmask >> k) & 1, p = (h.qmask >> k) & 1;
            pos[k] += (size_t)t;
            pred[k] += (size_t)p;
            tp[k] += (size_t)(t && p);
        }
    }
    double sum = 0;
    int labels = 0;
    for (int k = 0; k < 10; k++) {
        if (!((seen >> k) & 1)) continue;
        labels++;
        if (pos[k] == 0) continue; /* sklearn: no positive -> recall undefined -> AP 0 */
        double prev = (double)pos[k] / (double)n;
        if (pred[k] == 0) { sum += prev; continue; }
        double r1 = (double)tp[k] / (double)pos[k], p1 = (double)tp[k] / (double)pred[k];
        sum += r1 * p1 + (1.0 - r1) * prev;
    }
    if (labels) r->value = sum / labels;
    else r->is_null = 1; /* sklearn raises on an empty label set */
    double dn = n ? (double)n : 1.0;
    qa_metric_result_part(r, "instrument_acc", (double)inst_ok / dn);
    qa_metric_result_part(r, "velocity_acc", (double)vel_ok / dn);
    qa_metric_result_part(r, "pitch_top1", (double)pitch_ok / dn);
    qa_metric_result_part(r, "pitch_chroma", (double)chroma_ok / dn);
    qa_metric_result_part(r, "labels", (double)labels);
    return QA_OK;
}
