/* data/loader_recipe: the `data:` section of a training recipe -> qa_loader_opts.
 *
 * Recipes (YAML, core/config) set the loader's batching, length buckets and SpecAugment; the
 * trainer passes rank/world itself. Keys (all optional; defaults are qa_loader_opts_default):
 *
 *   data:
 *     batch_size: 8            # samples per rank per step
 *     seed: 1234               # shuffle and SpecAugment seed
 *     shuffle: true
 *     buckets: [128, 256, 512] # ascending token-count bounds (at most 32)
 *     pad_multiple: 8          # padding of rows beyond the last bucket
 *     frame_multiple: 2        # mel frames per audio rounded up to this (even)
 *     prefetch: 2              # batches prepared ahead by the background thread
 *     drop_last: false
 *     specaugment:             # LibriSpeech Basic by default when enabled
 *       enabled: true
 *       freq_mask: 27          # F
 *       freq_masks: 1
 *       time_mask: 100         # T
 *       time_masks: 1
 *       time_ratio: 1.0        # a time mask covers at most this fraction of the valid frames
 *       time_warp: 0           # W; 0 = off
 *
 * Usage:
 *   qa_loader_opts o;
 *   if ((s = qa_loader_opts_from_recipe(cfg, "data", &o))) return s;   // "file:line: key ..." errors
 *   o.rank = rank; o.world = world;
 * Unknown keys under the section are reported by qa_config_check_unused(cfg, "data"), which
 * this function calls, so a misspelt key never passes silently. */
#ifndef QA_DATA_LOADER_RECIPE_H
#define QA_DATA_LOADER_RECIPE_H

#include "core/config.h"
#include "data/loader.h"

qa_status qa_loader_opts_from_recipe(qa_config *cfg, const char *section, qa_loader_opts *out);

#endif
