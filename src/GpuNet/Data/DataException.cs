namespace GpuNet.Data;

/// <summary>Bad input data: the message names the file, what was found and what was expected.</summary>
public sealed class DataException(string message, Exception? inner = null) : Exception(message, inner);
