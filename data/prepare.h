/* data/prepare: manifest.jsonl -> HDF5 shards + index.json + rejected.jsonl (what `qaudio prepare`
 * runs; implemented in data/shard_prepare.c).
 *
 * Per record: parse, render (data/format), load each audio (data/audio), compute its features
 * (data/mel: the first min(3000, mel_len + 3) frames of the padded log-mel and its floor value; or
 * the PCM), tokenize with each audio's span, and append to the current shard. Workers are threads,
 * each with its own qa_mel, sharing the (thread-safe) tokenizer; samples are written in manifest
 * order whatever the number of workers. Bad records go to OUT/rejected.jsonl with their line and
 * the reason; the run then fails (QA_ERR_FORMAT naming the count) unless skip_bad.
 *
 * Usage:
 *   qa_prepare_opts o = qa_prepare_opts_default;
 *   o.manifest = "train.jsonl"; o.out_dir = "shards"; o.tokenizer = "qwen.tiktoken";
 *   qa_prepare_stats st; s = qa_prepare_run(&o, &st);
 * See docs/data-format.md and docs/shard-format.md. */
#ifndef QA_DATA_PREPARE_H
#define QA_DATA_PREPARE_H

#include <stdint.h>

#include "core/status.h"
#include "data/format.h"
#include "data/shard.h"

typedef enum { QA_PREPARE_AUTO = 0, QA_PREPARE_PRETRAIN = 1, QA_PREPARE_CHAT = 2 } qa_prepare_format;

typedef struct {
    const char *manifest, *out_dir, *tokenizer;
    qa_prepare_format format; /* AUTO: chat records are those with "messages"/"conversations" */
    int shard_samples;        /* samples per shard */
    qa_feat_kind features;
    int workers;
    int skip_bad;             /* rejected records do not fail the run */
    int no_truncate;          /* audio longer than 30 s is rejected instead of truncated */
    int feature_deflate;      /* deflate level of the features, 0 = uncompressed (see shard.h) */
    qa_pretrain_mask pretrain_mask;
    qa_pretrain_opts pretrain;
    qa_chat_opts chat;
    int progress;             /* progress lines on stderr */
} qa_prepare_opts;

/* pretrain/chat auto-detected, 1000 samples per shard, mel, features deflate level 1, 1 worker, default
 * masks, progress on */
extern const qa_prepare_opts qa_prepare_opts_default;

typedef struct {
    int64_t records, samples, rejected, shards, tokens;
    double audio_seconds, wall_seconds;
} qa_prepare_stats;

qa_status qa_prepare_run(const qa_prepare_opts *o, qa_prepare_stats *st);

#endif
