namespace GpuNet.Networks;

/// <summary>Where a value stands in a network file: 1-based line and column.</summary>
public readonly record struct SourcePosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>
/// A network description that cannot be read or built: the message begins with the file, line and column
/// (<c>net.yaml:12:14: layer 'conv2' (conv): …</c>) and says what was found and what is expected. An
/// <see cref="ArgumentException"/>, so the command line reports it as bad input (exit code 2).
/// </summary>
public sealed class NetworkFileException : ArgumentException
{
    public NetworkFileException(string file, SourcePosition? at, string message, Exception? inner = null)
        : base($"{file}{(at is { } p ? $":{p}" : "")}: {message}", inner)
    {
        File = file;
        At = at;
        Problem = message;
    }

    /// <summary>
    /// The file (or the checkpoint holding the description, or the builder's name for one built in C#).
    /// </summary>
    public string File { get; }
    public SourcePosition? At { get; }
    /// <summary>The message without the file and position.</summary>
    public string Problem { get; }
}
