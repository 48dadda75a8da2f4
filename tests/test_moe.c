/*
 * test_moe.c — the Mixtral router on hand-computed cases: softmax over all experts, top-k,
 * weights renormalised to sum 1, ties broken towards the lower expert id.
 */
#include "harness.h"
#include "moe.h"

int main(void)
{
    int32_t sel[8];
    float w[8];

    /* top-2 of 8: logits 0..7 → experts 7 and 6; renormalised softmax weights e^1/(e^1+e^0) */
    const float ramp[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
    mw_moe_route(ramp, 8, 2, sel, w);
    CHECK(sel[0] == 7 && sel[1] == 6);
    CHECK_NEAR(w[0], 2.718281828 / (2.718281828 + 1.0), 1e-6);
    CHECK_NEAR(w[1], 1.0 / (2.718281828 + 1.0), 1e-6);
    CHECK_NEAR(w[0] + w[1], 1.0, 1e-6);

    /* ties: equal logits pick the lowest ids first, with equal weights */
    const float flat[8] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
    mw_moe_route(flat, 8, 2, sel, w);
    CHECK(sel[0] == 0 && sel[1] == 1);
    CHECK_NEAR(w[0], 0.5, 1e-7);
    CHECK_NEAR(w[1], 0.5, 1e-7);

    /* a tie for second place between experts 5 and 2 → expert 2 */
    const float tie2[8] = { -1, 0, 3, -2, 0, 3, 7, 1 };
    mw_moe_route(tie2, 8, 2, sel, w);
    CHECK(sel[0] == 6 && sel[1] == 2);
    CHECK_NEAR(w[0], 1.0 / (1.0 + exp(-4.0)), 1e-6);

    /* renormalisation is over the selected experts only: the softmax over all 8 would give
     * expert 0 p = e^2 / (e^2 + e^1 + 6) but after top-2 it is e^2 / (e^2 + e^1) */
    const float peaked[8] = { 2, 1, 0, 0, 0, 0, 0, 0 };
    mw_moe_route(peaked, 8, 2, sel, w);
    CHECK(sel[0] == 0 && sel[1] == 1);
    CHECK_NEAR(w[0], exp(2.0) / (exp(2.0) + exp(1.0)), 1e-6);

    /* k = 1 always has weight 1; k = n selects everything in order */
    mw_moe_route(ramp, 8, 1, sel, w);
    CHECK(sel[0] == 7 && w[0] == 1.0f);
    mw_moe_route(ramp, 8, 8, sel, w);
    CHECK(sel[0] == 7 && sel[7] == 0);
    double sum = 0;
    for (int i = 0; i < 8; i++) sum += w[i];
    CHECK_NEAR(sum, 1.0, 1e-6);
    return TEST_REPORT();
}
