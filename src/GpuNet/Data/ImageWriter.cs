using SkiaSharp;

namespace GpuNet.Data;

/// <summary>Writes images through SkiaSharp's encoders (<c>gpunet import-idx</c> writes its PNGs here).</summary>
public static unsafe class ImageWriter
{
    /// <summary>
    /// Encodes interleaved 8-bit gray (<paramref name="channels"/> 1) or RGB (3) pixels as a lossless PNG of the same
    /// kind (gray or RGB, no alpha).
    /// </summary>
    public static byte[] Png(int width, int height, int channels, ReadOnlySpan<byte> pixels)
    {
        if (channels is not (1 or 3)) throw new ArgumentException($"PNG writer takes 1 or 3 channels, got {channels}");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height}x{channels} image");
        // Skia has no packed 24-bit type: RGB goes in as opaque RGBA, which its encoder writes as RGB
        byte[] src = channels == 1 ? pixels.ToArray() : new byte[(long)width * height * 4];
        if (channels == 3)
            for (long i = 0, n = (long)width * height; i < n; i++)
            {
                src[4 * i] = pixels[(int)(3 * i)]; src[4 * i + 1] = pixels[(int)(3 * i + 1)];
                src[4 * i + 2] = pixels[(int)(3 * i + 2)]; src[4 * i + 3] = 255;
            }
        var info = channels == 1
            ? new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque)
            : new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
        fixed (byte* p = src)
        {
            using var pixmap = new SKPixmap(info, (nint)p);
            using var png = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, 6))
                ?? throw new InvalidOperationException($"SkiaSharp could not encode a {width}x{height}x{channels} PNG");
            return png.ToArray();
        }
    }
}
