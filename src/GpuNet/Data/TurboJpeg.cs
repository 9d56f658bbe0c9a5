using System.Runtime.InteropServices;

namespace GpuNet.Data;

/// <summary>
/// JPEG through libjpeg-turbo's TurboJPEG API (<c>libturbojpeg.so.0</c>, Debian package <c>libturbojpeg0</c>), the fast
/// JPEG path when installed (SkiaSharp decodes JPEGs without it, about half as fast, to the same pixels): decode to RGB
/// or gray, CMYK/YCCK converted to RGB; encode (baseline or progressive) for the synthetic data set and tests. One
/// TurboJPEG handle per thread. When the library is missing, or hidden with <c>GPUNET_NO_TURBOJPEG=1</c> (to run
/// everything as on a machine without it), every call fails with one line saying why.
/// </summary>
public static unsafe partial class TurboJpeg
{
    private const string Lib = "turbojpeg";
    public const string InstallHint = "libjpeg-turbo's TurboJPEG library (libturbojpeg.so.0) is missing; " +
        "install it with: apt-get install libturbojpeg0";
    /// <summary>Set to 1, TurboJPEG reports itself unavailable and JPEGs decode through SkiaSharp.</summary>
    public const string HideVariable = "GPUNET_NO_TURBOJPEG";

    static TurboJpeg() => Runtime.NativeLibraries.EnsureRegistered();

    private static readonly Lazy<string?> LoadError = new(() =>
    {
        if (Environment.GetEnvironmentVariable(HideVariable) == "1")
            return $"TurboJPEG is hidden by {HideVariable}=1 (JPEGs decode through SkiaSharp)";
        try { nint h = InitDecompress(); if (h == 0) return "tjInitDecompress failed"; Destroy(h); return null; }
        catch (DllNotFoundException) { return InstallHint; }
        catch (EntryPointNotFoundException e) { return $"libturbojpeg is too old ({e.Message}); {InstallHint}"; }
    });

    /// <summary>True when libturbojpeg can be loaded.</summary>
    public static bool IsAvailable => LoadError.Value is null;
    /// <summary>Why JPEG is unavailable, or null.</summary>
    public static string? Unavailable => LoadError.Value;

    // pixel formats, colour spaces, subsampling, flags (turbojpeg.h)
    private const int PfRgb = 0, PfGray = 6, PfCmyk = 11;
    private const int CsGray = 2, CsCmyk = 3, CsYcck = 4;
    private const int SampGray = 3;
    private const int FlagProgressive = 16384, FlagAccurateDct = 4096;
    private const int ErrWarning = 0;

    [LibraryImport(Lib, EntryPoint = "tjInitDecompress")] private static partial nint InitDecompress();
    [LibraryImport(Lib, EntryPoint = "tjInitCompress")] private static partial nint InitCompress();
    [LibraryImport(Lib, EntryPoint = "tjDestroy")] private static partial int Destroy(nint handle);
    [LibraryImport(Lib, EntryPoint = "tjDecompressHeader3")]
    private static partial int DecompressHeader3(nint handle,
        byte* jpeg, nuint size, int* width, int* height, int* subsamp, int* colorspace);
    [LibraryImport(Lib, EntryPoint = "tjDecompress2")]
    private static partial int Decompress2(nint handle, byte* jpeg,
        nuint size, byte* dst, int width, int pitch, int height, int pixelFormat, int flags);
    [LibraryImport(Lib, EntryPoint = "tjCompress2")]
    private static partial int Compress2(nint handle, byte* src,
        int width, int pitch, int height, int pixelFormat, byte** jpeg, nuint* size, int subsamp, int quality,
            int flags);
    [LibraryImport(Lib, EntryPoint = "tjFree")] private static partial void Free(byte* buffer);
    [LibraryImport(Lib, EntryPoint = "tjGetErrorStr2")] private static partial byte* GetErrorStr2(nint handle);
    [LibraryImport(Lib, EntryPoint = "tjGetErrorCode")] private static partial int GetErrorCode(nint handle);

    [ThreadStatic] private static nint _decompressor;

    private static void EnsureLoaded()
    {
        if (LoadError.Value is { } why) throw new DataException(why);
    }

    private static string Error(nint handle) => Marshal.PtrToStringUTF8((nint)GetErrorStr2(handle))
        ?? "unknown TurboJPEG error";

    // After a failed call libjpeg-turbo 2.1 can leave a decompressor mid-image (a later header read then reports 0x0):
    // the thread's handle is dropped and the next call starts with a fresh one.
    private static DataException Fail(string message)
    {
        Destroy(_decompressor);
        _decompressor = 0;
        return new DataException(message);
    }

    // A JPEG file ends with the end-of-image marker; one that fails to decode without it was cut short.
    private static string Kind(ReadOnlySpan<byte> jpeg) => jpeg.Length >= 2 && jpeg[^2] == 0xFF && jpeg[^1] == 0xD9
        ? "corrupt" : "truncated";

    /// <summary>True for the JPEG start-of-image marker followed by another marker.</summary>
    public static bool HasSignature(ReadOnlySpan<byte> bytes) => bytes.Length >= 3 && bytes[0] == 0xFF
        && bytes[1] == 0xD8 && bytes[2] == 0xFF;

    /// <summary>
    /// Decodes a JPEG to interleaved RGB (gray JPEGs stay one channel unless <paramref name="rgb"/>). CMYK and YCCK
    /// images are converted to RGB assuming Adobe's inverted CMYK (what Photoshop writes), with no colour management.
    /// Images over <paramref name="maxPixels"/> are refused before any pixel memory is allocated. A truncated file is
    /// an error; other libjpeg warnings (extraneous bytes before a marker, say) leave a fully decoded image and are
    /// accepted.
    /// With <paramref name="minShorterSide"/> &gt; 0 the image is decoded at ½, ¼ or ⅛ scale in the DCT domain (the
    /// smallest that keeps the shorter side at least that long, <see cref="ImageDecoder.JpegScale"/>).
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> jpeg, string name, long maxPixels, bool rgb = false,
        DecodeScratch? scratch = null, int minShorterSide = 0)
    {
        EnsureLoaded();
        if (_decompressor == 0) _decompressor = InitDecompress();
        nint tj = _decompressor;
        int w, h, sub, cs;
        fixed (byte* p = jpeg)
        {
            if (DecompressHeader3(tj, p, (nuint)jpeg.Length, &w, &h, &sub, &cs) != 0)
                throw Fail($"{name}: {Kind(jpeg)} JPEG ({Error(tj)})");
            if (w <= 0 || h <= 0) throw Fail($"{name}: {Kind(jpeg)} JPEG (header gives a {w}x{h} image)");
            ImageDecoder.CheckPixels(name, "JPEG", w, h, maxPixels);
            int d = ImageDecoder.JpegScale(w, h, minShorterSide);
            (w, h) = ((w + d - 1) / d, (h + d - 1) / d);
            bool cmyk = cs is CsCmyk or CsYcck;
            int channels = cs == CsGray && !rgb ? 1 : 3;
            int decodeChannels = cmyk ? 4 : channels;
            long bytes = (long)w * h * decodeChannels;
            if (bytes > Array.MaxLength)
                throw new DataException($"{name}: JPEG declares {w}x{h}, over {Array.MaxLength} bytes decoded");
            var pixels = scratch is not null && !cmyk ? scratch.PixelsOf(bytes) : new byte[bytes];
            fixed (byte* dst = pixels)
            {
                int pf = cmyk ? PfCmyk : channels == 1 ? PfGray : PfRgb;
                if (Decompress2(tj, p, (nuint)jpeg.Length, dst, w, 0, h, pf, FlagAccurateDct) != 0)
                {
                    string msg = Error(tj);
                    bool fatal = GetErrorCode(tj) != ErrWarning
                        || msg.Contains("Premature end", StringComparison.OrdinalIgnoreCase);
                    Destroy(tj); _decompressor = 0;
                    if (fatal)
                        throw new DataException($"{name}: {Kind(jpeg)} JPEG ({msg})");
                }
            }
            if (!cmyk) return new Image(w, h, channels, pixels);
            var rgbPixels = new byte[(long)w * h * 3];
            for (long i = 0, n = (long)w * h; i < n; i++)
            {
                int k = pixels[4 * i + 3];
                for (int c = 0; c < 3; c++) rgbPixels[3 * i + c] = (byte)((pixels[4 * i + c] * k + 127) / 255);
            }
            return new Image(w, h, 3, rgbPixels);
        }
    }

    /// <summary>
    /// Encodes interleaved gray (1 channel), RGB (3) or CMYK (4, written as YCCK) pixels. Chroma is subsampled 4:2:0
    /// for RGB unless <paramref name="subsample"/> is false.
    /// </summary>
    public static byte[] Encode(int width, int height, int channels, ReadOnlySpan<byte> pixels, int quality = 90,
        bool progressive = false, bool subsample = true)
    {
        EnsureLoaded();
        if (channels is not (1 or 3 or 4))
            throw new ArgumentException($"JPEG writer takes 1, 3 or 4 channels, got {channels}");
        if (pixels.Length != width * height * channels)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height}x{channels} image");
        // a fresh compressor per image: libjpeg-turbo 2.1 carries progressive-scan state over from one image to the
        // next
        nint tj = InitCompress();
        int pf = channels switch { 1 => PfGray, 3 => PfRgb, _ => PfCmyk };
        int samp = channels == 1 ? SampGray : subsample ? 2 : 0;
        byte* outBuf = null; nuint size = 0;
        fixed (byte* src = pixels)
            if (Compress2(tj, src, width, 0, height, pf, &outBuf, &size, samp, quality,
                progressive ? FlagProgressive : 0) != 0)
            {
                string why = Error(tj);
                Destroy(tj);
                throw new InvalidOperationException(
                    $"TurboJPEG could not encode a {width}x{height}x{channels} image: {why}");
            }
        try { return new ReadOnlySpan<byte>(outBuf, checked((int)size)).ToArray(); }
        finally { Free(outBuf); Destroy(tj); }
    }
}
