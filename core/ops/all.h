/* core/ops/all: includes every op family header, for model code that uses many ops.
 * Families of the second engine branch (conv1d, norm, softmax, attention, rope, pool) add their
 * headers here when they merge. */
#ifndef QA_CORE_OPS_ALL_H
#define QA_CORE_OPS_ALL_H

#include "core/ctx.h"
#include "core/ops/activation.h"
#include "core/ops/attention.h"
#include "core/ops/conv1d.h"
#include "core/ops/elementwise.h"
#include "core/ops/embedding.h"
#include "core/ops/loss.h"
#include "core/ops/matmul.h"
#include "core/ops/norm.h"
#include "core/ops/ops.h"
#include "core/ops/pool.h"
#include "core/ops/rope.h"
#include "core/ops/shape.h"
#include "core/ops/softmax.h"

#endif
