// Helpers shared by every kernel file (composed after the prelude, before the kernel file).

// Uniform in [0, 1) from (seed, index): a murmur3 finaliser, the same integer mix as Accelerator.DropoutUniform in C#,
// so dropout masks agree bit for bit across backends.
DEVICE_FUNC float dropout_uniform(uint seed, uint index)
{
  uint h = seed ^ (index * 0x9E3779B9u);
  h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16;
  return (float)(h >> 8) * (1.0f / 16777216.0f);
}

// The gradient an optimizer applies: g + weight_decay·w + l1·sign(w).
DEVICE_FUNC float effective_gradient(float g, float w, float weight_decay, float l1)
{
  float sign = w > 0.0f ? 1.0f : (w < 0.0f ? -1.0f : 0.0f);
  return g + weight_decay * w + l1 * sign;
}

// Tree reduction of one value per work item over a work-group of LOCAL items; every item gets the sum.
// scratch must hold LOCAL floats; LOCAL must be a power of two.
DEVICE_FUNC float work_group_sum(float v, LOCAL_PTR float* scratch, int lid, int local_size)
{
  scratch[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int s = local_size / 2; s > 0; s >>= 1) {
    if (lid < s) scratch[lid] += scratch[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  float total = scratch[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return total;
}
