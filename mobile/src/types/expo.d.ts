/// <reference types="expo/types" />

// Committed stand-in for the gitignored expo-env.d.ts that `expo start` writes.
