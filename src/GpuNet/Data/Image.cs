namespace GpuNet.Data;

/// <summary>
/// A decoded image: interleaved 8-bit samples, row-major (H, W, Channels), channels 1 (gray) or 3 (RGB).
/// </summary>
public sealed record Image(int Width, int Height, int Channels, byte[] Pixels);
