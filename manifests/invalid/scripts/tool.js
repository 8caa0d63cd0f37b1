fn run() { 1 }
