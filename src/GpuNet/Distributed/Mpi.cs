using System.Runtime.InteropServices;

namespace GpuNet.Distributed;

/// <summary>
/// The few MPI calls data-parallel training makes, bound to OpenMPI's <c>libmpi.so.40</c> at run time. OpenMPI's
/// handles are the addresses of its exported globals (<c>ompi_mpi_comm_world</c>, <c>ompi_mpi_float</c>, …), taken
/// with <see cref="NativeLibrary.GetExport"/>; a request is a pointer; <c>MPI_IN_PLACE</c> is <c>(void*)1</c> and
/// <c>MPI_STATUS_IGNORE</c> null. Every call is checked: a non-zero return is an <see cref="MpiException"/> naming it.
/// Callers serialise the calls (<c>MPI_THREAD_SERIALIZED</c>).
/// </summary>
internal static unsafe class Mpi
{
    public const string Library = "libmpi.so.40";
    public const int ThreadSerialized = 2;
    public static readonly nint InPlace = 1;

    private static nint _lib;
    public static nint CommWorld, Float, Double, Sum;
    private static delegate* unmanaged<int*, int> _initialized, _finalized;
    private static delegate* unmanaged<int*, nint, int, int*, int> _initThread;
    private static delegate* unmanaged<nint, int*, int> _commRank, _commSize;
    private static delegate* unmanaged<nint, nint, int, nint, nint, nint, int> _allreduce;
    private static delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int> _iallreduce;
    private static delegate* unmanaged<nint*, nint, int> _wait;
    private static delegate* unmanaged<nint*, int*, nint, int> _test;
    private static delegate* unmanaged<nint, int, int> _abort;
    private static delegate* unmanaged<int> _finalize;

    /// <summary>Loads OpenMPI (<paramref name="file"/>: the library, for tests); one clear error naming the packages
    /// when it is not installed.</summary>
    public static void Load(string file = Library)
    {
        if (_lib != 0) return;
        if (!NativeLibrary.TryLoad(file, out var lib))
            throw new MpiException($"this process runs under mpirun but {file} (OpenMPI) is not installed; " +
                                   "install it with `apt-get install openmpi-bin libopenmpi3`");
        nint F(string name) => NativeLibrary.GetExport(lib, name);
        CommWorld = F("ompi_mpi_comm_world"); Float = F("ompi_mpi_float"); Double = F("ompi_mpi_double");
        Sum = F("ompi_mpi_op_sum");
        _initialized = (delegate* unmanaged<int*, int>)F("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)F("MPI_Finalized");
        _initThread = (delegate* unmanaged<int*, nint, int, int*, int>)F("MPI_Init_thread");
        _commRank = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)F("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, int>)F("MPI_Allreduce");
        _iallreduce = (delegate* unmanaged<nint, nint, int, nint, nint, nint, nint*, int>)F("MPI_Iallreduce");
        _wait = (delegate* unmanaged<nint*, nint, int>)F("MPI_Wait");
        _test = (delegate* unmanaged<nint*, int*, nint, int>)F("MPI_Test");
        _abort = (delegate* unmanaged<nint, int, int>)F("MPI_Abort");
        _finalize = (delegate* unmanaged<int>)F("MPI_Finalize");
        _lib = lib;
    }

    private static void Check(int rc, string call)
    {
        if (rc != 0) throw new MpiException($"{call} failed with MPI error {rc}");
    }

    /// <summary>MPI_Init_thread asking for serialised calls from any thread; returns (rank, size) in MPI_COMM_WORLD.
    /// </summary>
    public static (int Rank, int Size) Init()
    {
        int flag, provided, rank, size;
        Check(_initialized(&flag), "MPI_Initialized");
        if (flag == 0)
        {
            Check(_initThread(null, 0, ThreadSerialized, &provided), "MPI_Init_thread");
            if (provided < ThreadSerialized)
                throw new MpiException($"MPI_Init_thread provides thread level {provided}, GpuNet needs " +
                                       $"{ThreadSerialized} (MPI_THREAD_SERIALIZED)");
        }
        Check(_commRank(CommWorld, &rank), "MPI_Comm_rank");
        Check(_commSize(CommWorld, &size), "MPI_Comm_size");
        return (rank, size);
    }

    /// <summary>Blocking sum over every rank, in place.</summary>
    public static void AllreduceSum(Span<double> values)
    {
        fixed (double* p = values)
            Check(_allreduce(InPlace, (nint)p, values.Length, Double, Sum, CommWorld), "MPI_Allreduce");
    }

    /// <summary>Starts a sum over every rank of count floats at p, in place; returns the request.</summary>
    public static nint IallreduceSum(float* p, int count)
    {
        nint request;
        Check(_iallreduce(InPlace, (nint)p, count, Float, Sum, CommWorld, &request), "MPI_Iallreduce");
        return request;
    }

    /// <summary>Whether the request completed (then it is freed and set to null); drives the reduction's progress.
    /// </summary>
    public static bool Test(ref nint request)
    {
        int flag;
        fixed (nint* r = &request) Check(_test(r, &flag, 0), "MPI_Test");
        return flag != 0;
    }

    public static void Wait(ref nint request)
    {
        fixed (nint* r = &request) Check(_wait(r, 0), "MPI_Wait");
    }

    /// <summary>Ends every rank of the job (mpirun kills them); does not return on success.</summary>
    public static void Abort(int code) => _abort(CommWorld, code);

    /// <summary>MPI_Finalize, once every rank is done.</summary>
    public static void Shutdown()
    {
        int flag;
        if (_finalized(&flag) == 0 && flag == 0) Check(_finalize(), "MPI_Finalize");
        ShutDown = true;
    }

    /// <summary>Whether <see cref="Shutdown"/> ran (then nothing is left to abort).</summary>
    public static bool ShutDown { get; private set; }
}

/// <summary>An MPI call failed, or MPI is missing where the job needs it.</summary>
public sealed class MpiException(string message) : Exception(message);
