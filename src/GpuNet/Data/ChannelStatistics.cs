namespace GpuNet.Data;

/// <summary>Per-channel mean and standard deviation of decoded images, in [0, 1] units.</summary>
public static class ChannelStatistics
{
    /// <summary>
    /// Statistics for a model input of <paramref name="channels"/> channels: gray images count in every channel of an
    /// RGB model, RGB images are averaged into a gray one.
    /// </summary>
    public static (float[] Mean, float[] Std) Of(IEnumerable<Image> images, int channels)
    {
        var hist = new long[channels, 256];
        foreach (var im in images)
        {
            long n = (long)im.Width * im.Height;
            for (long p = 0; p < n; p++)
                for (int c = 0; c < channels; c++)
                {
                    int v = im.Channels == channels ? im.Pixels[p * channels + c]
                        : im.Channels == 1 ? im.Pixels[p]
                        : (299 * im.Pixels[3 * p] + 587 * im.Pixels[3 * p + 1] + 114 * im.Pixels[3 * p + 2] + 500)
                          / 1000;
                    hist[c, v]++;
                }
        }
        var mean = new float[channels]; var std = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            double n = 0, s = 0, s2 = 0;
            for (int v = 0; v < 256; v++)
            {
                double x = v / 255.0;
                (n, s, s2) = (n + hist[c, v], s + hist[c, v] * x, s2 + hist[c, v] * x * x);
            }
            if (n == 0) throw new DataException("no readable training images to compute the normalisation from");
            double m = s / n;
            mean[c] = (float)m;
            std[c] = (float)Math.Max(Math.Sqrt(Math.Max(s2 / n - m * m, 0)), 1e-6);
        }
        return (mean, std);
    }
}
