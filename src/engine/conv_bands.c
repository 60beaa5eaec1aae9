#include "engine/conv_bands.h"

int vsr_conv_band_count(int tile_rows, int group, int band_rows)
{
    if (group < 2 || band_rows < 1 || tile_rows <= group)
        return 0;
    const int count = (tile_rows - group) / band_rows;
    return count >= 2 ? count : 0;
}

void vsr_conv_band(int tile_rows, int group, int band_rows, int b, int k, int *row0, int *rows)
{
    const int count = vsr_conv_band_count(tile_rows, group, band_rows);
    const int skew = group - k;
    const int start = b == 0 ? 0 : b * band_rows + skew;
    const int end = b == count - 1 ? tile_rows : (b + 1) * band_rows + skew;
    *row0 = start;
    *rows = end - start;
}
