window.chunkRan = (window.chunkRan || 0) + 1;
