/* Band schedules for a group of G 3x3 convolutions applied in sequence
 * over a frame of T tile rows (the CUDA backend's RRDB convs: a conv reads
 * the rows the conv before it wrote, one more each side): instead of each
 * conv over the whole frame, band 0 of every conv, then band 1 of every
 * conv, and so on, so that a conv reads its input while it is still in the
 * L2 cache. A band is K tile rows; conv k's bands sit G - k rows below
 * conv 0's (band b: rows [bK + G - k, (b + 1)K + G - k); the first from
 * row 0, the last to row T), so that, launched in that order,
 *  - a band of conv k reads (its rows, one more each side) only rows conv
 *    k - 1 wrote in bands launched before it;
 *  - a band of conv k never writes rows a conv before it reads in a band
 *    launched after it (buffers are reused within a group);
 *  - the first conv's band b + 1 writes no row the last conv's band b
 *    reads (the two launches may run side by side).
 * tests/unit/test_conv_bands.c checks these for every frame, group and
 * band size it may meet. */
#ifndef VSR_ENGINE_CONV_BANDS_H
#define VSR_ENGINE_CONV_BANDS_H

/* The bands of a group of `group` convs over `tile_rows` rows, `band_rows`
 * a band; 0 where fewer than two would fit (the convs then run over the
 * whole frame) or the sizes make no sense. */
int vsr_conv_band_count(int tile_rows, int group, int band_rows);

/* Band b (< the count) of conv k (< group): its first row and its rows. */
void vsr_conv_band(int tile_rows, int group, int band_rows, int b, int k, int *row0, int *rows);

#endif
