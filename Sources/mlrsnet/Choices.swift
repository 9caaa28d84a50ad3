import ArgumentParser

enum DatasetChoice: String, ExpressibleByArgument, CaseIterable {
    case fashionMNIST = "fashion-mnist", mnist, cifar10, cifar100, ptb
}

enum OptimizerChoice: String, ExpressibleByArgument, CaseIterable {
    case sgd, sgdm, nesterov, adam, adamw
}

enum ScheduleChoice: String, ExpressibleByArgument, CaseIterable {
    case fixed, exp, multistep, cosine, sgdr, plateau, mlrsnet
    case hd, l4, rtho   // adaptive baselines (AdaptiveOptions.swift)
    case lrController = "lr-controller"
}

enum ProgressChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, bar, lines, none
}

import Foundation

/// Prints a line straight to standard output (unbuffered), so it stays in order with the progress
/// lines on standard error even when both go to a pipe or a file.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
