using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using SkiaSharp;
using static GpuNet.Data.ImageDecoder;

namespace GpuNet.Data;

/// <summary>
/// PNG, JPEG, WebP, BMP and GIF through SkiaSharp's codecs (Skia's libpng, libjpeg-turbo, libwebp and wuffs): the
/// header is read first and an image over the pixel cap refused before any pixel memory exists; pixels are decoded as
/// stored, without colour management (as TurboJPEG gives them); alpha is dropped, colours unpremultiplied; gray PNGs
/// (with or without alpha or transparency, any bit depth) and gray JPEGs stay one channel, everything else is RGB;
/// 16-bit samples are scaled to 8 bits; a GIF gives its first frame (transparent pixels black). Skia hands back the
/// rows it had from a cut-short file with <see cref="SKCodecResult.IncompleteInput"/>: that is an error here, as are
/// PNGs without their IEND chunk and WebPs shorter than their RIFF header says, which Skia can decode without noticing.
/// </summary>
internal static unsafe class SkiaDecoder
{
    /// <summary>
    /// Decodes <paramref name="file"/> (sniffed as <paramref name="format"/>); JPEGs at ½, ¼ or ⅛ scale when
    /// <paramref name="minShorterSide"/> allows (see <see cref="JpegScale"/>). With a <paramref name="scratch"/> the
    /// pixels live in its buffer (possibly longer than the image); without, in an array of exactly the image's size.
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> file, Format format, string name, long maxPixels,
        DecodeScratch? scratch = null, int minShorterSide = 0)
    {
        string kind = NameOf(format);
        if (MissingEnd(file, format) is { } where) throw new DataException($"{name}: truncated {kind} ({where})");
        fixed (byte* p = file)
        {
            using var data = SKData.Create((nint)p, file.Length);   // wraps the bytes, no copy; used only in here
            using var stream = new SKMemoryStream(data);
            using var codec = SKCodec.Create(stream, out var opened)
                ?? throw new DataException($"{name}: {Problem(opened, kind)} (reading the header: {opened})");
            var info = codec.Info;
            CheckPixels(name, kind, info.Width, info.Height, maxPixels);
            var (w, h) = DecodeSize(codec, format, minShorterSide);
            int channels = Channels(info, file, format);
            bool gray = info.ColorType == SKColorType.Gray8;   // decodes straight to one byte per pixel
            // no colour space: samples as stored, no colour management
            var target = gray
                ? new SKImageInfo(w, h, SKColorType.Gray8, SKAlphaType.Opaque, null)
                : new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul, null);
            long bytes = (long)w * h * target.BytesPerPixel;
            if (bytes > Array.MaxLength)
                throw new DataException($"{name}: {kind} declares {w}x{h}, over {Array.MaxLength} bytes decoded");

            // RGBA is packed to RGB (or its first channel) in place; without a scratch, from a pooled buffer
            byte[] buffer = scratch?.PixelsOf(bytes)
                ?? (gray ? new byte[bytes] : ArrayPool<byte>.Shared.Rent((int)bytes));
            try
            {
                if (format == Format.Gif) Array.Clear(buffer, 0, (int)bytes);   // pixels the first frame leaves out
                fixed (byte* b = buffer)
                {
                    var result = codec.GetPixels(target, (nint)b);
                    if (result != SKCodecResult.Success)
                        throw new DataException($"{name}: {Problem(result, kind)} ({result})");
                    if (gray) return new Image(w, h, 1, buffer);
                    byte[] pixels = scratch is not null ? buffer : new byte[(long)w * h * channels];
                    fixed (byte* o = pixels) Pack(b, o, (long)w * h, channels);
                    return new Image(w, h, channels, pixels);
                }
            }
            finally
            {
                if (scratch is null && !gray) ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>
    /// The decoded size in bytes (width × height × channels, JPEGs at the scale <paramref name="minShorterSide"/>
    /// picks) from the header alone, or null when the bytes hold no readable header.
    /// </summary>
    public static long? DecodedBytes(ReadOnlySpan<byte> head, Format format, int minShorterSide)
    {
        fixed (byte* p = head)
        {
            using var data = SKData.Create((nint)p, head.Length);
            using var stream = new SKMemoryStream(data);
            using var codec = SKCodec.Create(stream, out _);
            if (codec is null) return null;
            var (w, h) = DecodeSize(codec, format, minShorterSide);
            return (long)w * h * Channels(codec.Info, head, format);
        }
    }

    // JPEGs scale in the DCT domain (libjpeg's sizes, rounded up); other formats decode at full size
    private static (int Width, int Height) DecodeSize(SKCodec codec, Format format, int minShorterSide)
    {
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (format != Format.Jpeg || JpegScale(w, h, minShorterSide) is not (var d and > 1)) return (w, h);
        var scaled = codec.GetScaledDimensions(1f / d);
        return (scaled.Width, scaled.Height);
    }

    // Gray: a PNG of IHDR colour type 0 or 4 (Skia reports one with alpha or a tRNS chunk as RGBA), else what Skia
    // reports as Gray8 (a gray JPEG)
    private static int Channels(SKImageInfo info, ReadOnlySpan<byte> file, Format format) =>
        format == Format.Png && file.Length > 25 ? (file[25] is 0 or 4 ? 1 : 3)
        : info.ColorType == SKColorType.Gray8 ? 1 : 3;

    private static string Problem(SKCodecResult result, string kind) => result switch
    {
        SKCodecResult.IncompleteInput => $"truncated {kind}",
        SKCodecResult.Unimplemented => $"unsupported kind of {kind}",
        _ => $"corrupt {kind}",
    };

    /// <summary>
    /// Where a file whose pixels Skia could still decode was cut short, or null: a PNG must reach its IEND chunk (a
    /// cut through the last IDAT's checksum still inflates), a WebP must be as long as its RIFF header says (libwebp
    /// pads a cut lossy stream with zeros). JPEG, BMP and GIF data ends are reported by the decoders themselves.
    /// </summary>
    private static string? MissingEnd(ReadOnlySpan<byte> file, Format format)
    {
        if (format == Format.WebP && file.Length >= 8)
        {
            long declared = 8L + BinaryPrimitives.ReadUInt32LittleEndian(file[4..]);
            return declared > file.Length
                ? $"the RIFF header declares {declared} bytes, the file has {file.Length}" : null;
        }
        if (format != Format.Png) return null;
        long pos = 8;
        while (pos + 8 <= file.Length)
        {
            if (file.Slice((int)pos + 4, 4).SequenceEqual("IEND"u8)) return null;
            pos += 12L + BinaryPrimitives.ReadUInt32BigEndian(file[(int)pos..]);
        }
        return $"no IEND chunk before the end of the file, {file.Length} bytes";
    }

    // dst[i·channels + c] = src[4i + c] for c < channels (3: RGB from RGBA; 1: the first channel); dst may be src
    private static void Pack(byte* src, byte* dst, long pixels, int channels)
    {
        long i = 0;
        if (channels == 3 && Vector128.IsHardwareAccelerated)
        {
            // four pixels a step; each 16-byte store writes 4 bytes past their 12: harmless in place (RGBA bytes
            // already read), else the loop stops while the store still fits in dst
            var rgb = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0, 0, 0, 0);
            bool inPlace = src == dst;
            for (; i + 4 + (inPlace ? 0 : 2) <= pixels; i += 4)
                Vector128.Shuffle(Vector128.Load(src + 4 * i), rgb).Store(dst + 3 * i);
        }
        for (; i < pixels; i++)
            for (int c = 0; c < channels; c++) dst[i * channels + c] = src[4 * i + c];
    }
}
