/* eval/metric_spice: SPICE / SPIDEr via an external SPICE jar (QAUDIO_SPICE_JAR); see
 * metric_spice.c. Without a jar: QA_ERR_UNSUPPORTED, never a substitute value. */
#ifndef QA_EVAL_METRIC_SPICE_H
#define QA_EVAL_METRIC_SPICE_H
#include "eval/metrics.h"

/* spider = 0: SPICE; 1: SPIDEr = (CIDEr-D + SPICE) / 2. jar = path of spice-1.0.jar or NULL. */
qa_status qa_metric_spice(qa_metric_result *r, int spider, const char *const *hyp, const qa_refset *ref, size_t n,
                          const char *jar);

#endif
