namespace TcpToolkit.Diagnostics.Internal;

/// <summary>
/// What a memory pool tells the <c>tcptoolkit.memory_pool.*</c> instruments, read when a listener collects: counts the
/// pool keeps anyway, so renting and returning pay nothing for them.
/// </summary>
internal interface IMemoryPoolStatistics
{
    /// <summary>Gets the bytes of free blocks the pool holds for reuse.</summary>
    long PooledBytes { get; }

    /// <summary>Gets the bytes of blocks rented out now (what the connections' pipes hold).</summary>
    long RentedBytes { get; }

    /// <summary>Gets the bytes of blocks the pool has allocated since it was created (monotonic).</summary>
    long AllocatedBytes { get; }

    /// <summary>Gets the bytes of free blocks the pool has released to the GC since it was created (monotonic).</summary>
    long EvictedBytes { get; }
}
