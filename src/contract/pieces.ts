/** The size of the pieces a file is hashed in, so a loader can check each as it streams. */
export const PIECE_SIZE = 1024 * 1024;
