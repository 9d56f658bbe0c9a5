using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GpuNet.Runtime.Cpu;

/// <summary>
/// A vector of floats or a single one, so a kernel written once over <c>T</c> runs 8 elements at a time
/// (<see cref="Vec8"/>) and its tail one at a time (<see cref="Scalar"/>) with the same arithmetic, lane for lane.
/// </summary>
internal unsafe interface ISimdFloat<T> where T : ISimdFloat<T>
{
    static abstract T Splat(float value);
    static abstract T Load(float* source);
    void Store(float* destination);
    static abstract T operator +(T a, T b);
    static abstract T operator -(T a, T b);
    static abstract T operator *(T a, T b);
    static abstract T operator /(T a, T b);
    static abstract T Max(T a, T b);
    static abstract T Sqrt(T a);
    /// <summary>Element-wise MathF.Pow(a, power).</summary>
    static abstract T Pow(T a, float power);
}

internal readonly unsafe struct Vec8(Vector256<float> v) : ISimdFloat<Vec8>
{
    private readonly Vector256<float> _v = v;

    public static Vec8 Splat(float value) => new(Vector256.Create(value));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec8 Load(float* source) => new(Vector256.Load(source));
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => _v.Store(destination);
    public static Vec8 operator +(Vec8 a, Vec8 b) => new(a._v + b._v);
    public static Vec8 operator -(Vec8 a, Vec8 b) => new(a._v - b._v);
    public static Vec8 operator *(Vec8 a, Vec8 b) => new(a._v * b._v);
    public static Vec8 operator /(Vec8 a, Vec8 b) => new(a._v / b._v);
    public static Vec8 Max(Vec8 a, Vec8 b) => new(Vector256.Max(a._v, b._v));
    public static Vec8 Sqrt(Vec8 a) => new(Vector256.Sqrt(a._v));

    public static Vec8 Pow(Vec8 a, float power)
    {
        float* t = stackalloc float[8];
        a._v.Store(t);
        for (int i = 0; i < 8; i++) t[i] = MathF.Pow(t[i], power);
        return new(Vector256.Load(t));
    }
}

internal readonly unsafe struct Scalar(float v) : ISimdFloat<Scalar>
{
    private readonly float _v = v;

    public static Scalar Splat(float value) => new(value);
    public static Scalar Load(float* source) => new(*source);
    public void Store(float* destination) => *destination = _v;
    public static Scalar operator +(Scalar a, Scalar b) => new(a._v + b._v);
    public static Scalar operator -(Scalar a, Scalar b) => new(a._v - b._v);
    public static Scalar operator *(Scalar a, Scalar b) => new(a._v * b._v);
    public static Scalar operator /(Scalar a, Scalar b) => new(a._v / b._v);
    public static Scalar Max(Scalar a, Scalar b) => new(MathF.Max(a._v, b._v));
    public static Scalar Sqrt(Scalar a) => new(MathF.Sqrt(a._v));
    public static Scalar Pow(Scalar a, float power) => new(MathF.Pow(a._v, power));
}
