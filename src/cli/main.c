#include <stdio.h>

int main(void)
{
    puts("ghiblify " "0.1.0");
    return 0;
}
